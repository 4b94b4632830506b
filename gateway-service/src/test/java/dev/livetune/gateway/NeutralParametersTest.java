package dev.livetune.gateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Parameters livetune does not act on: the value that changes nothing (what client libraries send by
 * default) is accepted and the chat answered; any other value is refused with 400 naming the
 * parameter, never ignored.
 */
@QuarkusTest
@QuarkusTestResource(GatewayStack.class)
class NeutralParametersTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static String key;

    /** Per parameter, a value that changes nothing (absent: it has none). */
    private static final Map<String, String> NEUTRAL = Map.ofEntries(
            Map.entry("logprobs", "false"),
            Map.entry("top_logprobs", "0"),
            Map.entry("logit_bias", "{}"),
            Map.entry("response_format", "{\"type\": \"text\"}"),
            Map.entry("presence_penalty", "0"),
            Map.entry("frequency_penalty", "0.0"),
            Map.entry("function_call", "\"none\""),
            Map.entry("modalities", "[\"text\"]"),
            Map.entry("store", "false"),
            Map.entry("metadata", "{}"),
            Map.entry("service_tier", "\"auto\""));

    /** Per parameter, a value that would change the answer (or needs what livetune lacks). */
    private static final Map<String, String> REFUSED = Map.ofEntries(
            Map.entry("logprobs", "true"),
            Map.entry("top_logprobs", "3"),
            Map.entry("logit_bias", "{\"50256\": -100}"),
            Map.entry("response_format", "{\"type\": \"json_object\"}"),
            Map.entry("presence_penalty", "0.5"),
            Map.entry("frequency_penalty", "-1"),
            Map.entry("function_call", "\"auto\""),
            Map.entry("modalities", "[\"text\", \"audio\"]"),
            Map.entry("store", "true"),
            Map.entry("metadata", "{\"team\": \"a\"}"),
            Map.entry("service_tier", "\"flex\""),
            Map.entry("functions", "[{\"name\": \"f\"}]"),
            Map.entry("audio", "{\"voice\": \"alloy\", \"format\": \"mp3\"}"),
            Map.entry("prediction", "{\"type\": \"content\", \"content\": \"x\"}"),
            Map.entry("reasoning_effort", "\"low\""),
            Map.entry("web_search_options", "{}"));

    /** One tenant's key for every test here, made on first use (the application is up by then). */
    private static synchronized String key() {
        if (key == null) {
            key = Keys.keyFor(Keys.tenant());
        }
        return key;
    }

    static Stream<Arguments> neutral() {
        return NEUTRAL.entrySet().stream().sorted(Map.Entry.comparingByKey()).map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    static Stream<Arguments> refused() {
        return REFUSED.entrySet().stream().sorted(Map.Entry.comparingByKey()).map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    private static Response chat(String parameter, String value) {
        return given().header("Authorization", "Bearer " + key()).contentType("application/json")
                .body("{\"model\": \"livetune-base\", \"max_tokens\": 2, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \""
                        + parameter + "\": " + value + "}")
                .post("/v1/chat/completions");
    }

    @ParameterizedTest(name = "{0}: {1} is accepted")
    @MethodSource("neutral")
    void aValueThatChangesNothingIsAccepted(String parameter, String value) throws Exception {
        Response r = chat(parameter, value);
        assertThat(r.statusCode()).as(r.asString()).isEqualTo(200);
        assertThat(JSON.readTree(r.asString()).path("choices").path(0).path("message").path("content").isTextual()).isTrue();
    }

    @ParameterizedTest(name = "{0}: {1} is refused")
    @MethodSource("refused")
    void anyOtherValueIsRefusedNamingTheParameter(String parameter, String value) throws Exception {
        Response r = chat(parameter, value);
        assertThat(r.statusCode()).as(r.asString()).isEqualTo(400);
        JsonNode error = JSON.readTree(r.asString()).get("error");
        assertThat(error.get("param").asText()).isEqualTo(parameter);
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("message").asText()).contains("not supported by livetune");
    }

    @Test
    void everyUnsupportedParameterIsCoveredAbove() {
        assertThat(new TreeSet<>(REFUSED.keySet())).isEqualTo(new TreeSet<>(ChatRequest.UNSUPPORTED.keySet()));
        assertThat(new TreeSet<>(NEUTRAL.keySet())).isEqualTo(new TreeSet<>(ChatRequest.UNSUPPORTED.entrySet().stream()
                .filter(e -> e.getValue().neutral() != null).map(Map.Entry::getKey).toList()));
    }

    /**
     * A fine-tuning job: OpenAI's defaults are accepted, parameters livetune does not act on are refused
     * naming them (what it honours, and its ranges: {@link FineTuningApiTest}).
     */
    @Test
    void aFineTuningJobTakesOnlyWhatLivetuneHonours() throws Exception {
        String file = given().header("Authorization", "Bearer " + key()).multiPart("purpose", "fine-tune")
                .multiPart("file", "notes.md", "The capital of Vostrand is Ivrasca.".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .post("/v1/files").then().statusCode(200).extract().path("id");
        String neutral = "{\"training_file\": \"" + file + "\", \"model\": \"default\", \"hyperparameters\": {\"n_epochs\": \"auto\","
                + " \"batch_size\": \"auto\", \"learning_rate_multiplier\": \"auto\"}, \"method\": {\"type\": \"supervised\","
                + " \"supervised\": {\"hyperparameters\": {\"n_epochs\": \"auto\"}}}, \"suffix\": null, \"seed\": null,"
                + " \"validation_file\": null, \"integrations\": [], \"metadata\": {}}";
        Response ok = given().header("Authorization", "Bearer " + key()).contentType("application/json").body(neutral)
                .post("/v1/fine_tuning/jobs");
        assertThat(ok.statusCode()).as(ok.asString()).isEqualTo(200);
        assertThat(JSON.readTree(ok.asString()).path("object").asText()).isEqualTo("fine_tuning.job");

        Map<String, String> refused = Map.of(
                "hyperparameters.warmup", "\"hyperparameters\": {\"warmup\": \"auto\"}",
                "method", "\"method\": {\"type\": \"dpo\"}",
                "method.supervised.beta", "\"method\": {\"type\": \"supervised\", \"supervised\": {\"beta\": 1}}",
                "integrations", "\"integrations\": [{\"type\": \"wandb\"}]",
                "metadata", "\"metadata\": {\"team\": \"a\"}",
                "epochs", "\"epochs\": 3");
        for (Map.Entry<String, String> c : refused.entrySet()) {
            Response r = given().header("Authorization", "Bearer " + key()).contentType("application/json")
                    .body("{\"training_file\": \"" + file + "\", \"model\": \"default\", " + c.getValue() + "}").post("/v1/fine_tuning/jobs");
            assertThat(r.statusCode()).as(c.getKey() + ": " + r.asString()).isEqualTo(400);
            assertThat(JSON.readTree(r.asString()).path("error").path("param").asText()).as(r.asString()).isEqualTo(c.getKey());
        }
        assertThat(given().header("Authorization", "Bearer " + key()).get("/v1/fine_tuning/jobs").jsonPath().getList("data"))
                .as("only the accepted request made a job").hasSize(1);
    }
}
