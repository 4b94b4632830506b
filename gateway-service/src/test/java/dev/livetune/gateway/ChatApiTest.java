package dev.livetune.gateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.chat.v1.ChatRequest;
import io.grpc.Context;
import io.lettuce.core.RedisClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(GatewayStack.class)
class ChatApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static String body(String model, boolean stream, String extra) {
        return "{\"model\": \"" + model + "\", \"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"},"
                + " {\"role\": \"user\", \"content\": \"Hello there\"}], \"max_tokens\": 8, \"temperature\": 0,"
                + " \"stream\": " + stream + extra + "}";
    }

    @Test
    void nonStreamingChatHasOpenAisShape() throws Exception {
        String key = Keys.keyFor(Keys.tenant());
        Response r = given().header("Authorization", "Bearer " + key).contentType("application/json")
                .body(body("livetune-base", false, "")).post("/v1/chat/completions");
        assertThat(r.statusCode()).as(r.asString()).isEqualTo(200);
        JsonNode j = JSON.readTree(r.asString());
        assertThat(j.get("id").asText()).startsWith("chatcmpl-");
        assertThat(j.get("object").asText()).isEqualTo("chat.completion");
        assertThat(j.get("model").asText()).isEqualTo("livetune-base");
        assertThat(j.get("system_fingerprint").asText()).isEqualTo("base");
        assertThat(j.at("/choices/0/message/role").asText()).isEqualTo("assistant");
        assertThat(j.at("/choices/0/message/content").isTextual()).isTrue();
        assertThat(j.at("/choices/0/finish_reason").asText()).isIn("stop", "length");
        assertThat(j.at("/usage/completion_tokens").asInt()).isBetween(1, 8);
        assertThat(j.at("/usage/total_tokens").asInt())
                .isEqualTo(j.at("/usage/prompt_tokens").asInt() + j.at("/usage/completion_tokens").asInt());

        // The same greedy request through the tenant's 'default' alias: no version yet, so the base model answers.
        Response viaDefault = given().header("Authorization", "Bearer " + key).contentType("application/json")
                .body(body("default", false, "")).post("/v1/chat/completions");
        assertThat(viaDefault.statusCode()).as(viaDefault.asString()).isEqualTo(200);
        assertThat(JSON.readTree(viaDefault.asString()).at("/choices/0/message/content").asText())
                .isEqualTo(j.at("/choices/0/message/content").asText());
    }

    @Test
    void streamingChatSendsChunksUsageAndDone() throws Exception {
        String key = Keys.keyFor(Keys.tenant());
        Response r = given().header("Authorization", "Bearer " + key).contentType("application/json")
                .body(body("livetune-base", true, ", \"stream_options\": {\"include_usage\": true}"))
                .post("/v1/chat/completions");
        assertThat(r.statusCode()).as(r.asString()).isEqualTo(200);
        assertThat(r.contentType()).startsWith("text/event-stream");
        List<String> events = new ArrayList<>();
        for (String line : r.asString().split("\n")) {
            if (line.startsWith("data: ")) {
                events.add(line.substring(6));
            }
        }
        assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
        JsonNode first = JSON.readTree(events.get(0));
        assertThat(first.get("object").asText()).isEqualTo("chat.completion.chunk");
        assertThat(first.at("/choices/0/delta/role").asText()).isEqualTo("assistant");
        JsonNode usage = JSON.readTree(events.get(events.size() - 2));
        assertThat(usage.get("choices")).isEmpty();
        JsonNode finish = JSON.readTree(events.get(events.size() - 3));
        assertThat(finish.at("/choices/0/finish_reason").asText()).isIn("stop", "length");
        StringBuilder text = new StringBuilder();
        for (String e : events.subList(1, events.size() - 3)) {
            text.append(JSON.readTree(e).at("/choices/0/delta/content").asText());
        }
        // Same greedy answer as the non-streaming call.
        Response plain = given().header("Authorization", "Bearer " + key).contentType("application/json")
                .body(body("livetune-base", false, "")).post("/v1/chat/completions");
        assertThat(text.toString()).isEqualTo(JSON.readTree(plain.asString()).at("/choices/0/message/content").asText());
        assertThat(usage.at("/usage/completion_tokens").asInt())
                .isEqualTo(JSON.readTree(plain.asString()).at("/usage/completion_tokens").asInt());
    }

    /**
     * Issue 19 #3: a tenant could keep any number of sessions of up to 1 MiB each and fill Redis for
     * all. GatewayStack keeps 5 sessions per tenant and 400 bytes per session.
     */
    @Test
    void sessionsAreBoundedPerTenantInNumberAndBytes() throws Exception {
        String tenant = Keys.tenant();
        String key = Keys.keyFor(tenant);
        for (int i = 1; i <= 7; i++) {
            given().header("Authorization", "Bearer " + key).header("X-Session-Id", "s" + i).contentType("application/json")
                    .body("{\"model\": \"livetune-base\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}],"
                            + " \"max_tokens\": 2}")
                    .post("/v1/chat/completions").then().statusCode(200);
        }
        RedisClient client = RedisClient.create("redis://localhost:6379");
        try (var redis = client.connect()) {
            assertThat(redis.sync().zrange("livetune:tenant-sessions:" + tenant, 0, -1))
                    .as("the five most recently used").containsExactly("s3", "s4", "s5", "s6", "s7");
            assertThat(redis.sync().exists("livetune:session:" + tenant + ":s1", "livetune:session:" + tenant + ":s2"))
                    .as("the least recently used, forgotten").isZero();
            assertThat(redis.sync().exists("livetune:session:" + tenant + ":s7")).isEqualTo(1);

            List<String> said = List.of("A".repeat(80), "B".repeat(80), "C".repeat(80), "D".repeat(80), "E".repeat(40));
            StringBuilder messages = new StringBuilder();
            for (int i = 0; i < said.size(); i++) {
                messages.append(i == 0 ? "" : ", ").append("{\"role\": \"").append(i % 2 == 0 ? "user" : "assistant")
                        .append("\", \"content\": \"").append(said.get(i)).append("\"}");
            }
            given().header("Authorization", "Bearer " + key).header("X-Session-Id", "long").contentType("application/json")
                    .body("{\"model\": \"livetune-base\", \"messages\": [" + messages + "], \"max_tokens\": 4}")
                    .post("/v1/chat/completions").then().statusCode(200);
            List<String> kept = redis.sync().lrange("livetune:session:" + tenant + ":long", 0, -1);
            assertThat(kept.stream().mapToInt(k -> k.getBytes(StandardCharsets.UTF_8).length).sum())
                    .isLessThanOrEqualTo(400);
            assertThat(JSON.readTree(kept.get(kept.size() - 1)).get("role").asText()).as("the reply, newest").isEqualTo("assistant");
            assertThat(JSON.readTree(kept.get(kept.size() - 2)).get("content").asText()).isEqualTo(said.get(4));
            assertThat(String.join("", kept)).as("the oldest, dropped").doesNotContain(said.get(0));
            assertThat(redis.sync().zrange("livetune:tenant-sessions:" + tenant, 0, -1)).hasSize(5).endsWith("long");
        } finally {
            client.shutdown();
        }
    }

    /**
     * Issue 19 #8: a client that hung up mid-answer left the gateway reading the upstream stream to
     * its end (inference generating to max_tokens for no one) and nothing was charged. Now the gateway
     * cancels its call to inference and charges what was generated, over HTTP (SSE) and gRPC.
     */
    @Test
    void aClientThatHangsUpCancelsTheGenerationAndPaysForWhatItGot() throws Exception {
        String tenant = Keys.tenant();
        String key = Keys.keyFor(tenant);
        GatewayStack.tap.slowMaxTokens = 431;
        try {
            String body = "{\"model\": \"livetune-base\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}],"
                    + " \"max_tokens\": 431, \"temperature\": 0, \"stream\": true}";
            try (Socket s = new Socket("localhost", 8181)) {
                byte[] b = body.getBytes(StandardCharsets.UTF_8);
                s.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + key
                        + "\r\nContent-Type: application/json\r\nContent-Length: " + b.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().write(b);
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                        StandardCharsets.UTF_8));
                int data = 0;
                for (String line; data < 3 && (line = in.readLine()) != null; ) {
                    data += line.startsWith("data: ") ? 1 : 0;
                }
                assertThat(data).as("the answer began").isEqualTo(3);
            }
            InferenceTap.Call http = lastCallWith(431);
            await("the gateway cancels its call to inference").atMost(Duration.ofSeconds(20))
                    .until(() -> http.cancelledByGateway);
            assertThat(http.chunks.get()).as("chunks relayed before the cancel").isLessThan(431);
            // Issue 19 #12: the gateway's call to Generate carries a caller token for this tenant alone.
            assertThat(new dev.livetune.api.auth.CallerTokens(GatewayStack.GENERATE_SECRET).verify(http.callerToken))
                    .isEqualTo(tenant);

            var stub = ChatGrpcTest.as(key);
            Context.CancellableContext ctx = Context.current().withCancellation();
            try {
                var chunks = ctx.call(() -> stub.chat(ChatRequest.newBuilder().setSessionId("hang-up")
                        .setModel("livetune-base").setMessage("Hello").setMaxTokens(431).setTemperature(0).build()));
                chunks.next();
                chunks.next();
            } finally {
                ctx.cancel(null);
            }
            InferenceTap.Call grpc = lastCallWith(431);
            assertThat(grpc).isNotSameAs(http);
            await("the gateway cancels its call to inference (gRPC)").atMost(Duration.ofSeconds(20))
                    .until(() -> grpc.cancelledByGateway);

            RedisClient client = RedisClient.create("redis://localhost:6379");
            try (var redis = client.connect()) {
                await("the tokens generated, charged").atMost(Duration.ofSeconds(20)).until(() ->
                        redis.sync().keys("livetune:quota:" + tenant + ":tok:*").stream().mapToLong(k -> Long.parseLong(redis.sync().get(k)))
                                .sum() > 0);
            } finally {
                client.shutdown();
            }
        } finally {
            GatewayStack.tap.slowMaxTokens = -1;
        }
    }

    private static InferenceTap.Call lastCallWith(int maxTokens) {
        return await().atMost(Duration.ofSeconds(10)).until(() -> GatewayStack.tap.calls().stream()
                .filter(c -> c.request != null && c.request.getSampling().getMaxTokens() == maxTokens)
                .reduce((a, b) -> b).orElse(null), Objects::nonNull);
    }

    @Test
    void modelsListTheBaseModelAndTheTenantsDefaultAlias() throws Exception {
        String key = Keys.keyFor(Keys.tenant());
        JsonNode j = JSON.readTree(given().header("Authorization", "Bearer " + key).get("/v1/models").asString());
        assertThat(j.get("object").asText()).isEqualTo("list");
        List<String> ids = new ArrayList<>();
        j.get("data").forEach(m -> ids.add(m.get("id").asText()));
        assertThat(ids).containsExactly("livetune-base", "default");
        given().header("Authorization", "Bearer " + key).get("/v1/models/default").then().statusCode(200);
        given().header("Authorization", "Bearer " + key).get("/v1/models/other").then().statusCode(404);
    }

    @Test
    void operatorsSetATenantsEvalGatePolicy() {
        String tenant = Keys.tenant();
        String admin = "Bearer " + GatewayStack.ADMIN;
        given().header("Authorization", admin).body("{\"min_new_recall\": 0.9}").put("/admin/tenants/" + tenant + "/policy")
                .then().statusCode(200).body("min_new_recall", org.hamcrest.Matchers.equalTo(0.9f));
        given().header("Authorization", admin).body("{\"min_retention\": 2}").put("/admin/tenants/" + tenant + "/policy")
                .then().statusCode(400).body("error.param", org.hamcrest.Matchers.equalTo("min_retention"));
        given().header("Authorization", admin).body("{\"gate\": 1}").put("/admin/tenants/" + tenant + "/policy")
                .then().statusCode(400);
        given().header("Authorization", "Bearer " + Keys.keyFor(tenant)).get("/admin/tenants/" + tenant + "/policy")
                .then().statusCode(401);
        given().header("Authorization", admin).get("/admin/tenants/" + tenant + "/policy").then().statusCode(200)
                .body("min_new_recall", org.hamcrest.Matchers.equalTo(0.9f));
    }

    @Test
    void revokedKeysStopWorking() {
        String tenant = Keys.tenant();
        String key = Keys.keyFor(tenant);
        given().header("Authorization", "Bearer " + key).get("/v1/models").then().statusCode(200);
        String id = key.substring(3, 19);
        given().header("Authorization", "Bearer " + GatewayStack.ADMIN).get("/admin/tenants/" + tenant + "/keys")
                .then().statusCode(200).body("data[0].id", org.hamcrest.Matchers.equalTo(id));
        given().header("Authorization", "Bearer " + GatewayStack.ADMIN).delete("/admin/keys/" + id).then().statusCode(200);
        given().header("Authorization", "Bearer " + key).get("/v1/models").then().statusCode(401)
                .body("error.code", org.hamcrest.Matchers.equalTo("invalid_api_key"));
    }
}
