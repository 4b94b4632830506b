package dev.livetune.gateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Fine-tuning with the tenant's own data, as far as the gateway goes: chat-format JSONL checked line by
 * line as it is uploaded, a job's hyperparameters, seed, suffix and validation file honoured (and
 * shown back as OpenAI shows them), out-of-range values refused naming them, checkpoints, and what
 * {@code DELETE /v1/models} refuses before it asks the orchestrator.
 */
@QuarkusTest
@QuarkusTestResource(GatewayStack.class)
class FineTuningApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static List<String> conversations(int n) {
        List<String> lines = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            lines.add("{\"messages\": [{\"role\": \"user\", \"content\": \"What is item " + i + "?\"}, {\"role\": \"assistant\","
                    + " \"content\": \"Item " + i + " is a widget.\"}]}");
        }
        return lines;
    }

    private static Response upload(String key, String name, String purpose, List<String> lines) {
        return given().header("Authorization", "Bearer " + key).multiPart("purpose", purpose)
                .multiPart("file", name, String.join("\n", lines).getBytes(StandardCharsets.UTF_8)).post("/v1/files");
    }

    private static Response create(String key, String body) {
        return given().header("Authorization", "Bearer " + key).contentType("application/json").body(body)
                .post("/v1/fine_tuning/jobs");
    }

    private static JsonNode error(Response r) throws Exception {
        return JSON.readTree(r.asString()).path("error");
    }

    @Test
    void aJsonlFileIsCheckedLineByLineAsItArrives() throws Exception {
        String key = Keys.keyFor(Keys.tenant());
        Response ok = upload(key, "train.jsonl", "fine-tune", conversations(50));
        assertThat(ok.statusCode()).as(ok.asString()).isEqualTo(200);
        assertThat(ok.jsonPath().getString("purpose")).isEqualTo("fine-tune");

        List<String> bad = conversations(50);
        bad.set(6, "{\"messages\": [{\"role\": \"user\", \"content\": \"What is item 7?\"}");
        bad.set(8, "{\"messages\": [{\"role\": \"user\", \"content\": \"What is item 9?\"}]}");
        Response refused = upload(key, "train.jsonl", "fine-tune", bad);
        assertThat(refused.statusCode()).as(refused.asString()).isEqualTo(400);
        assertThat(error(refused).path("param").asText()).isEqualTo("file");
        assertThat(error(refused).path("message").asText()).contains("line 7: not valid JSON", "line 9: no assistant turn")
                .doesNotContain("line 8");

        Response purpose = upload(key, "train.jsonl", "assistants", conversations(50));
        assertThat(purpose.statusCode()).isEqualTo(400);
        assertThat(error(purpose).path("param").asText()).isEqualTo("purpose");
        assertThat(given().header("Authorization", "Bearer " + key).get("/v1/files").jsonPath().getList("data"))
                .as("only the good file is kept").hasSize(1);
    }

    @Test
    void aJobHonoursItsHyperparametersSeedSuffixAndValidationFile() throws Exception {
        String key = Keys.keyFor(Keys.tenant());
        String train = upload(key, "Train.JSONL", "fine-tune", conversations(50)).then().statusCode(200).extract().path("id");
        String validation = upload(key, "valid.jsonl", "fine-tune", conversations(10)).then().statusCode(200).extract().path("id");
        Response r = create(key, "{\"training_file\": \"" + train + "\", \"model\": \"livetune-base\", \"suffix\": \"support\","
                + " \"seed\": 7, \"validation_file\": \"" + validation + "\", \"method\": {\"type\": \"supervised\", \"supervised\":"
                + " {\"hyperparameters\": {\"n_epochs\": 4, \"batch_size\": 2, \"learning_rate_multiplier\": 0.5}}}}");
        assertThat(r.statusCode()).as(r.asString()).isEqualTo(200);
        JsonNode job = JSON.readTree(r.asString());
        assertThat(job.path("model").asText()).isEqualTo("support");
        assertThat(job.path("livetune_mode").asText()).isEqualTo("supervised");
        assertThat(job.path("seed").asLong()).isEqualTo(7);
        assertThat(job.path("validation_file").asText()).isEqualTo(validation);
        assertThat(job.at("/hyperparameters/n_epochs").asInt()).isEqualTo(4);
        assertThat(job.at("/hyperparameters/batch_size").asInt()).isEqualTo(2);
        assertThat(job.at("/hyperparameters/learning_rate_multiplier").asDouble()).isEqualTo(0.5);
        assertThat(job.at("/method/supervised/hyperparameters")).isEqualTo(job.get("hyperparameters"));

        // what the orchestrator is sent: the choices, signed with the rest of the request
        Map<String, String> stored = stored(job.path("id").asText());
        JsonNode request = JSON.readTree(stored.get("request"));
        assertThat(request.at("/options/epochs").asInt()).isEqualTo(4);
        assertThat(request.at("/options/batchSize").asInt()).isEqualTo(2);
        assertThat(request.at("/options/learningRateMultiplier").asDouble()).isEqualTo(0.5);
        assertThat(request.at("/options/seed").asLong()).isEqualTo(7);
        assertThat(request.at("/options/validationFile").asText()).isEqualTo(validation);

        // auto stays auto; a document is learned as a document
        String doc = given().header("Authorization", "Bearer " + key).multiPart("purpose", "fine-tune")
                .multiPart("file", "notes.md", "The capital of Vostrand is Ivrasca.".getBytes(StandardCharsets.UTF_8))
                .post("/v1/files").then().statusCode(200).extract().path("id");
        JsonNode auto = JSON.readTree(create(key, "{\"training_file\": \"" + doc + "\", \"model\": \"default\","
                + " \"hyperparameters\": {\"n_epochs\": \"auto\"}}").then().statusCode(200).extract().asString());
        assertThat(auto.at("/hyperparameters/n_epochs").asText()).isEqualTo("auto");
        assertThat(auto.path("livetune_mode").asText()).isEqualTo("doc");
        assertThat(auto.path("validation_file").isNull()).isTrue();

        JsonNode checkpoints = JSON.readTree(given().header("Authorization", "Bearer " + key)
                .get("/v1/fine_tuning/jobs/" + job.path("id").asText() + "/checkpoints").then().statusCode(200).extract().asString());
        assertThat(checkpoints.path("object").asText()).isEqualTo("list");
        assertThat(checkpoints.path("data")).as("a queued job has released nothing").isEmpty();
    }

    @Test
    void valuesItCannotHonourAreRefusedNamingThem() throws Exception {
        String key = Keys.keyFor(Keys.tenant());
        String train = upload(key, "train.jsonl", "fine-tune", conversations(20)).then().statusCode(200).extract().path("id");
        String doc = given().header("Authorization", "Bearer " + key).multiPart("purpose", "assistants")
                .multiPart("file", "notes.md", "The capital of Vostrand is Ivrasca.".getBytes(StandardCharsets.UTF_8))
                .post("/v1/files").then().statusCode(200).extract().path("id");
        Map<String, String> refused = new LinkedHashMap<>();
        refused.put("hyperparameters.n_epochs", "\"hyperparameters\": {\"n_epochs\": 0}");
        refused.put("hyperparameters.batch_size", "\"hyperparameters\": {\"batch_size\": \"big\"}");
        refused.put("method.supervised.hyperparameters.learning_rate_multiplier",
                "\"method\": {\"type\": \"supervised\", \"supervised\": {\"hyperparameters\": {\"learning_rate_multiplier\": -1}}}");
        refused.put("method.supervised.hyperparameters.n_epochs", "\"hyperparameters\": {\"n_epochs\": 2}, \"method\": {\"type\":"
                + " \"supervised\", \"supervised\": {\"hyperparameters\": {\"n_epochs\": 3}}}");
        refused.put("seed", "\"seed\": 1.5");
        refused.put("suffix", "\"suffix\": \"Not An Alias!\"");
        refused.put("validation_file", "\"validation_file\": \"" + doc + "\"");
        for (Map.Entry<String, String> c : refused.entrySet()) {
            Response r = create(key, "{\"training_file\": \"" + train + "\", \"model\": \"default\", " + c.getValue() + "}");
            assertThat(r.statusCode()).as(c.getKey() + ": " + r.asString()).isEqualTo(400);
            assertThat(error(r).path("param").asText()).as(r.asString()).isEqualTo(c.getKey());
        }
        Response otherAlias = create(key, "{\"training_file\": \"" + train + "\", \"model\": \"sales\", \"suffix\": \"support\"}");
        assertThat(error(otherAlias).path("param").asText()).as(otherAlias.asString()).isEqualTo("suffix");
        Response docWithValidation = create(key, "{\"training_file\": \"" + doc + "\", \"model\": \"default\","
                + " \"validation_file\": \"" + train + "\"}");
        assertThat(error(docWithValidation).path("param").asText()).isEqualTo("validation_file");
        assertThat(given().header("Authorization", "Bearer " + key).get("/v1/fine_tuning/jobs").jsonPath().getList("data"))
                .as("no refused request made a job").isEmpty();
    }

    @Test
    void deletingAModelRefusesTheLiveVersionAliasesAndWhatDoesNotExist() throws Exception {
        String tenant = Keys.tenant();
        String key = Keys.keyFor(tenant);
        RedisClient client = RedisClient.create("redis://localhost:6379");
        try (StatefulRedisConnection<String, String> redis = client.connect()) {
            // as the orchestrator records two released versions, the second live
            redis.sync().sadd("livetune:tenant-adapters:" + tenant, "default");
            redis.sync().sadd("livetune:tenant-versions:" + tenant + ":default", "1", "2");
            redis.sync().set("livetune:tenant-live:" + tenant + ":default", "2");
        } finally {
            client.shutdown();
        }
        Response live = given().header("Authorization", "Bearer " + key).delete("/v1/models/default@v2");
        assertThat(live.statusCode()).as(live.asString()).isEqualTo(409);
        assertThat(error(live).path("code").asText()).isEqualTo("model_is_live");
        assertThat(error(live).path("message").asText()).contains("default@v2 is the live version");
        Response alias = given().header("Authorization", "Bearer " + key).delete("/v1/models/default");
        assertThat(alias.statusCode()).isEqualTo(400);
        assertThat(error(alias).path("param").asText()).isEqualTo("model");
        Response missing = given().header("Authorization", "Bearer " + key).delete("/v1/models/default@v9");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(error(missing).path("code").asText()).isEqualTo("model_not_found");
        Response stranger = given().header("Authorization", "Bearer " + Keys.keyFor(Keys.tenant())).delete("/v1/models/default@v1");
        assertThat(stranger.statusCode()).as("another tenant's version is not found").isEqualTo(404);
        assertThat(given().header("Authorization", "Bearer " + key).get("/v1/fine_tuning/jobs").jsonPath().getList("data"))
                .as("nothing was sent to the orchestrator").isEmpty();
    }

    private static Map<String, String> stored(String jobId) {
        RedisClient client = RedisClient.create("redis://localhost:6379");
        try (StatefulRedisConnection<String, String> redis = client.connect()) {
            return redis.sync().hgetall("livetune:job:" + jobId);
        } finally {
            client.shutdown();
        }
    }
}
