package dev.livetune.gateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Bad input of every kind gets its documented 4xx in OpenAI's error JSON, and never a 5xx. */
@QuarkusTest
@QuarkusTestResource(GatewayStack.class)
class BadInputTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static String key;
    private static String revoked;

    /** One case: what is sent, what must come back. */
    private record Case(String name, String key, String path, byte[] body, int status, String param) {
        static Case chat(String name, String body, int status, String param) {
            return new Case(name, "valid", "/v1/chat/completions", body.getBytes(StandardCharsets.UTF_8), status, param);
        }
    }

    private static String msg(String extra) {
        return "{\"model\": \"livetune-base\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]" + extra + "}";
    }

    private static void keys() {
        key = Keys.keyFor(Keys.tenant());
        String t = Keys.tenant();
        revoked = Keys.keyFor(t);
        given().header("Authorization", "Bearer " + GatewayStack.ADMIN).delete("/admin/keys/" + revoked.substring(3, 19))
                .then().statusCode(200);
    }

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        c.add(Case.chat("malformed JSON", "{\"model\": ", 400, null));
        c.add(Case.chat("not an object", "[1, 2]", 400, null));
        c.add(Case.chat("empty body", "", 400, null));
        c.add(new Case("invalid UTF-8", "valid", "/v1/chat/completions",
                new byte[] {'{', '"', 'm', '"', ':', (byte) 0xC3, (byte) 0x28, '}'}, 400, null));
        c.add(Case.chat("missing model", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", 400, "model"));
        c.add(Case.chat("model not a string", "{\"model\": 5, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", 400, "model"));
        c.add(Case.chat("unknown model", "{\"model\": \"gpt-9\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", 404, null));
        c.add(Case.chat("malformed model name", "{\"model\": \"Bad Name!\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", 404, null));
        c.add(Case.chat("missing messages", "{\"model\": \"livetune-base\"}", 400, "messages"));
        c.add(Case.chat("messages not an array", "{\"model\": \"livetune-base\", \"messages\": \"hi\"}", 400, "messages"));
        c.add(Case.chat("empty messages", "{\"model\": \"livetune-base\", \"messages\": []}", 400, "messages"));
        c.add(Case.chat("message not an object", "{\"model\": \"livetune-base\", \"messages\": [\"hi\"]}", 400, "messages[0]"));
        c.add(Case.chat("unknown role", "{\"model\": \"livetune-base\", \"messages\": [{\"role\": \"wizard\", \"content\": \"hi\"}]}", 400, "messages[0].role"));
        c.add(Case.chat("tool message answering nothing", "{\"model\": \"livetune-base\", \"messages\": [{\"role\": \"tool\", \"content\": \"hi\"}]}", 400, "messages[0].tool_call_id"));
        c.add(Case.chat("content missing", "{\"model\": \"livetune-base\", \"messages\": [{\"role\": \"user\"}]}", 400, "messages[0].content"));
        c.add(Case.chat("content a number", "{\"model\": \"livetune-base\", \"messages\": [{\"role\": \"user\", \"content\": 7}]}", 400, "messages[0].content"));
        c.add(Case.chat("image part", "{\"model\": \"livetune-base\", \"messages\": [{\"role\": \"user\", \"content\":"
                + " [{\"type\": \"image_url\", \"image_url\": {\"url\": \"x\"}}]}]}", 400, "messages[0].content"));
        c.add(Case.chat("last message not user", "{\"model\": \"livetune-base\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"},"
                + " {\"role\": \"assistant\", \"content\": \"yo\"}]}", 400, "messages"));
        c.add(Case.chat("n = 2", msg(", \"n\": 2"), 400, "n"));
        c.add(Case.chat("tool without a function", msg(", \"tools\": [{\"type\": \"function\"}]"), 400, "tools[0].function"));
        c.add(Case.chat("unknown argument", msg(", \"temprature\": 1"), 400, "temprature"));
        c.add(Case.chat("negative max_tokens", msg(", \"max_tokens\": -5"), 400, "max_tokens"));
        c.add(Case.chat("absurd max_tokens", msg(", \"max_tokens\": 100000000"), 400, "max_tokens"));
        c.add(Case.chat("max_completion_tokens zero", msg(", \"max_completion_tokens\": 0"), 400, "max_completion_tokens"));
        c.add(Case.chat("max_tokens a string", msg(", \"max_tokens\": \"ten\""), 400, "max_tokens"));
        c.add(Case.chat("temperature too high", msg(", \"temperature\": 5"), 400, "temperature"));
        c.add(Case.chat("temperature negative", msg(", \"temperature\": -1"), 400, "temperature"));
        c.add(Case.chat("top_p zero", msg(", \"top_p\": 0"), 400, "top_p"));
        c.add(Case.chat("seed a float", msg(", \"seed\": 1.5"), 400, "seed"));
        c.add(Case.chat("stop too many", msg(", \"stop\": [\"a\", \"b\", \"c\", \"d\", \"e\"]"), 400, "stop"));
        c.add(Case.chat("stop empty string", msg(", \"stop\": \"\""), 400, "stop"));
        c.add(Case.chat("stream not a boolean", msg(", \"stream\": \"yes\""), 400, "stream"));
        c.add(Case.chat("stream_options without stream", msg(", \"stream_options\": {\"include_usage\": true}"), 400, "stream_options"));
        c.add(Case.chat("user not a string", msg(", \"user\": 12"), 400, "user"));
        c.add(Case.chat("[Learn] with nothing to learn", "{\"model\": \"default\", \"messages\": [{\"role\": \"user\", \"content\": \"[Learn]   \"}]}", 400, "messages"));
        c.add(Case.chat("huge body", msg(", \"user\": \"" + "x".repeat(1_200_000) + "\""), 413, null));
        c.add(new Case("missing key", null, "/v1/chat/completions", msg("").getBytes(StandardCharsets.UTF_8), 401, null));
        c.add(new Case("malformed key", "Bearer nonsense", "/v1/chat/completions", msg("").getBytes(StandardCharsets.UTF_8), 401, null));
        c.add(new Case("revoked key", "revoked", "/v1/chat/completions", msg("").getBytes(StandardCharsets.UTF_8), 401, null));
        c.add(new Case("bad session id", "valid+session", "/v1/chat/completions", msg("").getBytes(StandardCharsets.UTF_8), 400, "X-Session-Id"));
        c.add(new Case("unknown endpoint", "valid", "/v1/embeddings", msg("").getBytes(StandardCharsets.UTF_8), 404, null));
        return c;
    }

    @Test
    void everyBadInputGetsItsStatusAndOpenAisErrorJson() throws Exception {
        keys();
        List<String> wrong = new ArrayList<>();
        for (Case c : cases()) {
            RequestSpecification r = given().contentType("application/json").body(c.body());
            if (c.key() != null) {
                switch (c.key()) {
                    case "valid" -> r.header("Authorization", "Bearer " + key);
                    case "valid+session" -> r.header("Authorization", "Bearer " + key).header("X-Session-Id", "no spaces allowed");
                    case "revoked" -> r.header("Authorization", "Bearer " + revoked);
                    default -> r.header("Authorization", c.key());
                }
            }
            Response resp = r.post(c.path());
            JsonNode error = resp.contentType().startsWith("application/json")
                    ? JSON.readTree(resp.asString()).get("error") : null;
            boolean ok = resp.statusCode() == c.status() && error != null && error.get("message").isTextual()
                    && error.get("type").isTextual() && error.has("param") && error.has("code")
                    && (c.param() == null || c.param().equals(error.get("param").asText()));
            if (!ok) {
                wrong.add(c.name() + ": " + resp.statusCode() + " " + resp.asString().substring(0, Math.min(300, resp.asString().length())));
            }
            assertThat(resp.statusCode()).as(c.name()).isLessThan(500);
        }
        assertThat(cases()).hasSizeGreaterThanOrEqualTo(30);
        assertThat(wrong).isEmpty();
    }

    @Test
    void badUploadsGetTheirStatusInOpenAisShape() {
        String k = "Bearer " + Keys.keyFor(Keys.tenant());
        given().header("Authorization", k).multiPart("purpose", "fine-tune").multiPart("file", "run.exe", new byte[] {1, 2})
                .post("/v1/files").then().statusCode(400).body("error.param", equalTo("file"));
        given().header("Authorization", k).multiPart("purpose", "fine-tune")
                .multiPart("file", "big.txt", new byte[11 * 1024 * 1024]).post("/v1/files").then().statusCode(413)
                .body("error.type", equalTo("invalid_request_error"));
        given().header("Authorization", k).multiPart("file", "a.txt", "x".getBytes(StandardCharsets.UTF_8))
                .post("/v1/files").then().statusCode(400).body("error.param", equalTo("purpose"));
        given().header("Authorization", k).multiPart("purpose", "fine-tune").post("/v1/files").then().statusCode(400);
        given().header("Authorization", k).contentType("application/json").body("{\"training_file\": \"file-nope\", \"model\": \"default\"}")
                .post("/v1/fine_tuning/jobs").then().statusCode(404);
        given().header("Authorization", k).get("/v1/fine_tuning/jobs?limit=0").then().statusCode(400);
        given().header("Authorization", k).contentType("application/json").body("{\"text\": \"\", \"mode\": \"web\"}")
                .post("/v1/learn").then().statusCode(400);
    }

    /** Issue 19 #18: a tenant's uploads had no cap (GatewayStack sets 4 files and 1,000,000 bytes). */
    @Test
    void uploadsStopAtTheTenantsCaps() {
        String k = "Bearer " + Keys.keyFor(Keys.tenant());
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ids.add(given().header("Authorization", k).multiPart("purpose", "fine-tune").multiPart("file", "f" + i + ".md",
                    ("fact " + i).getBytes(StandardCharsets.UTF_8)).post("/v1/files").then().statusCode(200).extract().path("id"));
        }
        given().header("Authorization", k).multiPart("purpose", "fine-tune").multiPart("file", "f4.md", new byte[] {'x'})
                .post("/v1/files").then().statusCode(429)
                .body("error.code", equalTo("storage_limit_reached"))
                .body("error.message", containsString("already keeps 4 files"));
        // the content as uploaded, for its owner alone
        assertThat(given().header("Authorization", k).get("/v1/files/" + ids.get(1) + "/content").then().statusCode(200)
                .extract().asByteArray()).isEqualTo("fact 1".getBytes(StandardCharsets.UTF_8));
        given().header("Authorization", k).delete("/v1/files/" + ids.get(0)).then().statusCode(200);
        given().header("Authorization", k).get("/v1/files/" + ids.get(0) + "/content").then().statusCode(404)
                .body("error.code", equalTo("file_not_found"));
        given().header("Authorization", k).multiPart("purpose", "fine-tune").multiPart("file", "f4.md", new byte[] {'x'})
                .post("/v1/files").then().statusCode(200);

        String other = "Bearer " + Keys.keyFor(Keys.tenant());
        given().header("Authorization", other).multiPart("purpose", "fine-tune").multiPart("file", "a.txt", new byte[600_000])
                .post("/v1/files").then().statusCode(200);
        given().header("Authorization", other).multiPart("purpose", "fine-tune").multiPart("file", "b.txt", new byte[500_000])
                .post("/v1/files").then().statusCode(429)
                .body("error.message", containsString("past 1000000 bytes (it keeps 600000)"));
        assertThat(given().header("Authorization", other).get("/v1/files").jsonPath().getList("data")).hasSize(1);
        given().header("Authorization", other).get("/v1/files/" + ids.get(1) + "/content").then().statusCode(404);
    }

    /**
     * Issue 19 #18: an upload was read before its key was checked (an unauthenticated 11 MB upload got
     * 415), and a body over its limit got a bare 413 while the connection closed under the sender. Now
     * both are refused before anything is done with them (the body is read and dropped), with OpenAI's error JSON, and
     * the sender gets the status.
     */
    @Test
    void strangersAndOversizedBodiesGetTheirStatusNotAClosedConnection() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String boundary = "b0undary";
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\nContent-Type: text/plain\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] upload = new byte[head.length + 11 * 1024 * 1024 + tail.length];
        System.arraycopy(head, 0, upload, 0, head.length);
        System.arraycopy(tail, 0, upload, upload.length - tail.length, tail.length);
        for (String auth : new String[] {null, "Bearer lt-0000000000000000-" + "A".repeat(43)}) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:8181/v1/files"))
                    .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(upload));
            if (auth != null) {
                b.header("Authorization", auth);
            }
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("an 11 MB upload with key " + auth + ": " + r.body()).isEqualTo(401);
            assertThat(JSON.readTree(r.body()).at("/error/code").asText()).isEqualTo("invalid_api_key");
        }
        byte[] chat = msg(", \"user\": \"" + "x".repeat(3_000_000) + "\"").getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                        URI.create("http://localhost:8181/v1/chat/completions"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + Keys.keyFor(Keys.tenant()))
                .POST(HttpRequest.BodyPublishers.ofByteArray(chat)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(413);
        assertThat(JSON.readTree(r.body()).at("/error/code").asText()).isEqualTo("request_too_large");
        assertThat(JSON.readTree(r.body()).at("/error/message").asText()).contains("exceeds 1048576");
    }

    /** Issue 19 #18: /q/metrics was public on the API's port; it is on the management port (9191 in tests) only. */
    @Test
    void metricsAndHealthAreNotOnThePublicPort() {
        given().get("/q/metrics").then().statusCode(404).body("error.type", equalTo("invalid_request_error"));
        given().get("/q/health/ready").then().statusCode(404);
        given().port(9191).get("/q/metrics").then().statusCode(200).body(containsString("jvm_threads_states_threads"));
    }

    @Test
    void anotherTenantsFilesAndJobsAreInvisibleAndNotFound() throws Exception {
        String keyA = Keys.keyFor(Keys.tenant());
        String keyB = Keys.keyFor(Keys.tenant());
        String file = given().header("Authorization", "Bearer " + keyA).multiPart("purpose", "fine-tune")
                .multiPart("file", "facts.txt", "Quillport is the capital of Zorbania.".getBytes(StandardCharsets.UTF_8))
                .post("/v1/files").then().statusCode(200).extract().path("id");
        String job = given().header("Authorization", "Bearer " + keyA).contentType("application/json")
                .body("{\"training_file\": \"" + file + "\", \"model\": \"default\"}").post("/v1/fine_tuning/jobs")
                .then().statusCode(200).extract().path("id");
        String b = "Bearer " + keyB;
        given().header("Authorization", b).get("/v1/files/" + file).then().statusCode(404);
        given().header("Authorization", b).delete("/v1/files/" + file).then().statusCode(404);
        given().header("Authorization", b).get("/v1/fine_tuning/jobs/" + job).then().statusCode(404);
        given().header("Authorization", b).get("/v1/fine_tuning/jobs/" + job + "/events").then().statusCode(404);
        given().header("Authorization", b).post("/v1/fine_tuning/jobs/" + job + "/cancel").then().statusCode(404);
        given().header("Authorization", b).contentType("application/json")
                .body("{\"training_file\": \"" + file + "\", \"model\": \"default\"}").post("/v1/fine_tuning/jobs")
                .then().statusCode(404);
        assertThat(given().header("Authorization", b).get("/v1/files").asString()).doesNotContain(file);
        assertThat(given().header("Authorization", b).get("/v1/fine_tuning/jobs").asString()).doesNotContain(job);
        // The owner sees both, and can cancel once.
        assertThat(given().header("Authorization", "Bearer " + keyA).get("/v1/files").asString()).contains(file);
        given().header("Authorization", "Bearer " + keyA).post("/v1/fine_tuning/jobs/" + job + "/cancel").then()
                .statusCode(200).body("status", equalTo("cancelled"));
        given().header("Authorization", "Bearer " + keyA).post("/v1/fine_tuning/jobs/" + job + "/cancel").then()
                .statusCode(409);
        // The live event stream of an ended job: every event, then [DONE].
        String live = given().header("Authorization", "Bearer " + keyA).get("/v1/fine_tuning/jobs/" + job + "/events?stream=true")
                .then().statusCode(200).contentType(org.hamcrest.Matchers.startsWith("text/event-stream")).extract().asString();
        assertThat(live).contains("Learn request queued", "Cancellation requested").endsWith("data: [DONE]\n\n");
        given().header("Authorization", b).get("/v1/fine_tuning/jobs/" + job + "/events?stream=true").then().statusCode(404);
    }

    @Test
    void anotherTenantsAdaptersAreInvisibleAndNotFound() throws Exception {
        String a = Keys.tenant();
        String keyA = Keys.keyFor(a);
        String keyB = Keys.keyFor(Keys.tenant());
        try (var client = io.lettuce.core.RedisClient.create("redis://localhost:6379").connect()) {
            client.sync().sadd("livetune:tenant-adapters:" + a, "support");
            client.sync().sadd("livetune:tenant-versions:" + a + ":support", "1");
        }
        List<String> idsA = new ArrayList<>();
        JSON.readTree(given().header("Authorization", "Bearer " + keyA).get("/v1/models").asString()).get("data")
                .forEach(m -> idsA.add(m.get("id").asText()));
        assertThat(idsA).contains("support", "support@v1");
        List<String> idsB = new ArrayList<>();
        JSON.readTree(given().header("Authorization", "Bearer " + keyB).get("/v1/models").asString()).get("data")
                .forEach(m -> idsB.add(m.get("id").asText()));
        assertThat(idsB).doesNotContain("support", "support@v1");
        given().header("Authorization", "Bearer " + keyB).get("/v1/models/support").then().statusCode(404);
        Stream.of("support", "support@v1").forEach(model -> given().header("Authorization", "Bearer " + keyB)
                .contentType("application/json")
                .body("{\"model\": \"" + model + "\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}")
                .post("/v1/chat/completions").then().statusCode(404));
    }
}
