package dev.livetune.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.inference.v1.ChatPrompt;
import dev.livetune.api.inference.v1.ToolCall;
import dev.livetune.api.inference.v1.ToolChoice;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a request's tools accept of the calls a model writes, and how they reach inference. */
class ChatToolsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOOLS = "[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\","
            + " \"description\": \"Weather of a city\", \"parameters\": {\"type\": \"object\", \"properties\": {"
            + "\"city\": {\"type\": \"string\"}, \"unit\": {\"type\": \"string\", \"enum\": [\"C\", \"F\"]}},"
            + " \"required\": [\"city\"], \"additionalProperties\": false}}},"
            + " {\"type\": \"function\", \"function\": {\"name\": \"get_time\"}}]";

    private static ChatTools tools(String extra) throws Exception {
        return ChatTools.parse(JSON.readTree("{\"tools\": " + TOOLS + extra + "}"));
    }

    private static ToolCall call(String name, String arguments) {
        return ToolCall.newBuilder().setName(name).setArguments(arguments).build();
    }

    @Test
    void aCallOfAToolWithArgumentsItsSchemaAcceptsIsReturnedWithAnId() throws Exception {
        List<ToolCall> accepted = tools("").accept(List.of(call("get_weather", "{\"city\": \"Oslo\", \"unit\": \"C\"}"),
                call("get_time", "{}")));
        assertThat(accepted).hasSize(2);
        assertThat(accepted.get(0).getId()).matches("call_[A-Za-z0-9]{24}").isNotEqualTo(accepted.get(1).getId());
        assertThat(accepted.get(0).getName()).isEqualTo("get_weather");
        assertThat(accepted.get(0).getArguments()).isEqualTo("{\"city\": \"Oslo\", \"unit\": \"C\"}");
    }

    @Test
    void anythingElseIsNotACall() throws Exception {
        ChatTools t = tools("");
        assertThat(t.accept(List.of(call("get_weather", "{\"unit\": \"C\"}")))).as("required city missing").isEmpty();
        assertThat(t.accept(List.of(call("get_weather", "{\"city\": \"Oslo\", \"unit\": \"K\"}")))).as("not in the enum").isEmpty();
        assertThat(t.accept(List.of(call("get_weather", "{\"city\": 3}")))).as("wrong type").isEmpty();
        assertThat(t.accept(List.of(call("get_weather", "{\"city\": \"Oslo\", \"x\": 1}")))).as("additional property").isEmpty();
        assertThat(t.accept(List.of(call("get_news", "{}")))).as("unknown function").isEmpty();
        assertThat(t.accept(List.of(call("get_time", "{}"), call("get_weather", "{}")))).as("one bad call of two").isEmpty();
        assertThat(tools(", \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"get_time\"}}")
                .accept(List.of(call("get_weather", "{\"city\": \"Oslo\"}")))).as("not the chosen one").isEmpty();
        assertThat(tools(", \"tool_choice\": \"none\"").accept(List.of(call("get_time", "{}")))).as("calls are off").isEmpty();
    }

    @Test
    void withoutParallelCallsOnlyTheFirstIsReturned() throws Exception {
        assertThat(tools(", \"parallel_tool_calls\": false").accept(List.of(call("get_time", "{}"),
                call("get_weather", "{\"city\": \"Oslo\"}")))).singleElement()
                .satisfies(c -> assertThat(c.getName()).isEqualTo("get_time"));
    }

    @Test
    void theToolsAndTheChoiceReachInference() throws Exception {
        ChatPrompt.Builder prompt = ChatPrompt.newBuilder();
        tools(", \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}}").into(prompt);
        assertThat(prompt.getToolsList()).extracting(t -> t.getName()).containsExactly("get_weather", "get_time");
        assertThat(JSON.readTree(prompt.getTools(0).getParameters()).path("required").get(0).asText()).isEqualTo("city");
        assertThat(prompt.getToolChoice()).isEqualTo(ToolChoice.TOOL_CHOICE_REQUIRED);
        assertThat(prompt.getToolName()).isEqualTo("get_weather");

        ChatPrompt.Builder none = ChatPrompt.newBuilder();
        tools(", \"tool_choice\": \"none\"").into(none);
        assertThat(none.getToolsCount()).as("with tool_choice none the model is offered nothing").isZero();
    }

    @Test
    void anInvalidSchemaIsRefusedNamingIt() {
        JsonNode bad = node("{\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\":"
                + " {\"type\": \"objekt\"}}}]}");
        assertThatThrownBy(() -> ChatTools.parse(bad)).isInstanceOfSatisfying(OpenAiException.class,
                e -> assertThat(e.param).isEqualTo("tools[0].function.parameters"))
                .hasMessageContaining("is not a valid JSON Schema");
    }

    private static JsonNode node(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
