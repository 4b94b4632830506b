package dev.livetune.gateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.ArrayList;
import java.util.List;
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
        assertThat(viaDefault.statusCode()).isEqualTo(200);
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
