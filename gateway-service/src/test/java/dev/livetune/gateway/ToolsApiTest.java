package dev.livetune.gateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Function calling over the OpenAI chat API: malformed tools, choices and tool messages are refused
 * naming the parameter; a conversation with calls and results is answered; and a call the model does
 * not write validly (this stack's model has random weights) comes back as the text it wrote.
 */
@QuarkusTest
@QuarkusTestResource(GatewayStack.class)
class ToolsApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOOL = "{\"type\": \"function\", \"function\": {\"name\": \"w\", \"parameters\":"
            + " {\"type\": \"object\", \"properties\": {\"c\": {\"type\": \"string\"}}}}}";
    private static String key;

    private static synchronized String key() {
        if (key == null) {
            key = Keys.keyFor(Keys.tenant());
        }
        return key;
    }

    private static Response chat(String body) {
        return given().header("Authorization", "Bearer " + key()).contentType("application/json").body(body)
                .post("/v1/chat/completions");
    }

    private static String request(String messages, String extra) {
        return "{\"model\": \"livetune-base\", \"max_tokens\": 6, \"temperature\": 0, \"messages\": " + messages + extra + "}";
    }

    private static final String HI = "[{\"role\": \"user\", \"content\": \"hi\"}]";

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("tools is not an array", request(HI, ", \"tools\": {\"type\": \"function\"}"), "tools"),
                Arguments.of("a tool without a name", request(HI, ", \"tools\": [{\"type\": \"function\", \"function\":"
                        + " {\"description\": \"x\"}}]"), "tools[0].function.name"),
                Arguments.of("a name with spaces", request(HI, ", \"tools\": [{\"type\": \"function\", \"function\":"
                        + " {\"name\": \"get weather\"}}]"), "tools[0].function.name"),
                Arguments.of("a tool of another type", request(HI, ", \"tools\": [{\"type\": \"code_interpreter\"}]"),
                        "tools[0].type"),
                Arguments.of("parameters that are not a JSON Schema", request(HI, ", \"tools\": [{\"type\": \"function\","
                        + " \"function\": {\"name\": \"f\", \"parameters\": {\"type\": \"objekt\"}}}]"),
                        "tools[0].function.parameters"),
                Arguments.of("two tools of one name", request(HI, ", \"tools\": [" + TOOL + ", " + TOOL + "]"),
                        "tools[1].function.name"),
                Arguments.of("tool_choice naming an unknown function", request(HI, ", \"tools\": [" + TOOL + "],"
                        + " \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"v\"}}"), "tool_choice"),
                Arguments.of("tool_choice of no known form", request(HI, ", \"tools\": [" + TOOL + "], \"tool_choice\": \"any\""),
                        "tool_choice"),
                Arguments.of("tool_choice without tools", request(HI, ", \"tool_choice\": \"required\""), "tool_choice"),
                Arguments.of("parallel_tool_calls not a boolean", request(HI, ", \"parallel_tool_calls\": \"yes\""),
                        "parallel_tool_calls"),
                Arguments.of("a tool message answering no call", request("[{\"role\": \"user\", \"content\": \"hi\"},"
                        + " {\"role\": \"assistant\", \"tool_calls\": [{\"id\": \"call_1\", \"type\": \"function\", \"function\":"
                        + " {\"name\": \"w\", \"arguments\": \"{}\"}}]}, {\"role\": \"tool\", \"tool_call_id\": \"call_2\","
                        + " \"content\": \"3\"}]", ", \"tools\": [" + TOOL + "]"), "messages[2].tool_call_id"),
                Arguments.of("a tool message without its call id", request("[{\"role\": \"tool\", \"content\": \"3\"}]", ""),
                        "messages[0].tool_call_id"),
                Arguments.of("a call without an id", request("[{\"role\": \"assistant\", \"tool_calls\": [{\"type\":"
                        + " \"function\", \"function\": {\"name\": \"w\", \"arguments\": \"{}\"}}]}, {\"role\": \"user\","
                        + " \"content\": \"hi\"}]", ""), "messages[0].tool_calls[0].id"),
                Arguments.of("arguments that are not a string", request("[{\"role\": \"assistant\", \"tool_calls\": [{\"id\":"
                        + " \"c\", \"type\": \"function\", \"function\": {\"name\": \"w\", \"arguments\": {}}}]},"
                        + " {\"role\": \"user\", \"content\": \"hi\"}]", ""), "messages[0].tool_calls[0].function.arguments"),
                Arguments.of("the legacy function role", request("[{\"role\": \"function\", \"name\": \"w\", \"content\": \"3\"}]",
                        ""), "messages[0].role"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedToolInputIsRefusedNamingTheParameter(String what, String body, String param) throws Exception {
        Response r = chat(body);
        assertThat(r.statusCode()).as(r.asString()).isEqualTo(400);
        JsonNode error = JSON.readTree(r.asString()).get("error");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("param").asText()).isEqualTo(param);
        assertThat(error.get("message").asText()).isNotBlank();
    }

    @Test
    void aConversationWithACallAndItsResultIsAnswered() throws Exception {
        Response r = chat(request("[{\"role\": \"user\", \"content\": \"c?\"}, {\"role\": \"assistant\", \"content\": null,"
                + " \"tool_calls\": [{\"id\": \"call_1\", \"type\": \"function\", \"function\": {\"name\": \"w\","
                + " \"arguments\": \"{\\\"c\\\": \\\"Oslo\\\"}\"}}]}, {\"role\": \"tool\", \"tool_call_id\": \"call_1\","
                + " \"content\": \"3\"}]", ", \"tools\": [" + TOOL + "], \"tool_choice\": \"none\""));
        assertThat(r.statusCode()).as(r.asString()).isEqualTo(200);
        JsonNode choice = JSON.readTree(r.asString()).path("choices").path(0);
        assertThat(choice.path("message").path("content").isTextual()).isTrue();
        assertThat(choice.path("message").has("tool_calls")).isFalse();
        assertThat(choice.path("finish_reason").asText()).isIn("stop", "length");
    }

    @Test
    void aCallTheModelDoesNotWriteValidlyComesBackAsItsTextStreamedOrNot() throws Exception {
        String body = request(HI, ", \"tools\": [" + TOOL + "], \"tool_choice\": {\"type\": \"function\", \"function\":"
                + " {\"name\": \"w\"}}");
        Response r = chat(body);
        assertThat(r.statusCode()).as(r.asString()).isEqualTo(200);
        JsonNode choice = JSON.readTree(r.asString()).path("choices").path(0);
        String text = choice.path("message").path("content").asText();
        assertThat(text).startsWith("<tool_call>\n{\"name\": \"w\", \"arguments\": ");
        assertThat(choice.path("message").has("tool_calls")).isFalse();
        assertThat(choice.path("finish_reason").asText()).isEqualTo("length");

        Response s = chat(body.replace("\"max_tokens\": 6", "\"stream\": true, \"max_tokens\": 6"));
        StringBuilder streamed = new StringBuilder();
        String finish = null;
        for (String line : s.asString().split("\n")) {
            if (line.startsWith("data: {")) {
                JsonNode c = JSON.readTree(line.substring(6)).path("choices").path(0);
                assertThat(c.path("delta").has("tool_calls")).isFalse();
                streamed.append(c.path("delta").path("content").asText(""));
                if (!c.path("finish_reason").isNull()) {
                    finish = c.path("finish_reason").asText();
                }
            }
        }
        assertThat(streamed.toString()).isEqualTo(text);
        assertThat(finish).isEqualTo("length");
    }
}
