package dev.livetune.llm.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livetune.llm.tokenizer.ChatMessage;
import dev.livetune.llm.tokenizer.ChatTemplate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ToolCallFormatTest {

    private static final Map<String, Object> WEATHER = ordered("type", "function", "function", ordered(
            "name", "get_weather",
            "parameters", ordered("type", "object", "properties", ordered("city", ordered("type", "string")))));

    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    @Test
    void theFormatComesFromTheTemplate() {
        assertThat(ToolCallFormat.of(ChatTemplate.CHATML_SOURCE)).contains(ToolCallFormat.HERMES);
        assertThat(ToolCallFormat.of("{% if message.role == 'ipython' %}{{ tool.parameters }}{% endif %}"))
                .contains(ToolCallFormat.LLAMA3_JSON);
        assertThat(ToolCallFormat.of("{% for m in messages %}{{ m.content }}{% endfor %}")).isEmpty();
    }

    @Test
    void hermesCallsAreReadOutOfTheReply() {
        ToolCallFormat.Parsed p = ToolCallFormat.HERMES.parse("Let me look.\n<tool_call>\n{\"name\": \"get_weather\","
                + " \"arguments\": {\"city\": \"Oslo\", \"days\": 2}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_time\","
                + " \"arguments\": {}}\n</tool_call>");
        assertThat(p.content()).isEqualTo("Let me look.");
        assertThat(p.calls()).containsExactly(new ToolCall(null, "get_weather", "{\"city\":\"Oslo\",\"days\":2}"),
                new ToolCall(null, "get_time", "{}"));
        // arguments given as a JSON string, and a last block the reply ended in before its closing tag
        assertThat(ToolCallFormat.HERMES.parse("<tool_call>{\"name\": \"f\", \"arguments\": \"{\\\"a\\\": 1}\"}").calls())
                .containsExactly(new ToolCall(null, "f", "{\"a\":1}"));
    }

    @Test
    void aBrokenCallLeavesTheWholeReplyAsText() {
        String reply = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Os\n</tool_call>";
        assertThat(ToolCallFormat.HERMES.parse(reply)).isEqualTo(new ToolCallFormat.Parsed(reply.strip(), List.of()));
        assertThat(ToolCallFormat.HERMES.parse("<tool_call>[1, 2]</tool_call>").calls()).isEmpty();
        assertThat(ToolCallFormat.HERMES.parse("<tool_call>{\"name\": 3}</tool_call>").calls()).isEmpty();
        assertThat(ToolCallFormat.HERMES.parse("no calls here").content()).isEqualTo("no calls here");
    }

    @Test
    void llamaCallsAreTheWholeReply() {
        assertThat(ToolCallFormat.LLAMA3_JSON.parse("<|python_tag|>{\"name\": \"f\", \"parameters\": {\"x\": 1}}").calls())
                .containsExactly(new ToolCall(null, "f", "{\"x\":1}"));
        assertThat(ToolCallFormat.LLAMA3_JSON.parse("Sure: {\"name\": \"f\"}").calls()).isEmpty();
    }

    @Test
    void streamingHoldsBackOnlyWhatMayStartACall() {
        assertThat(ToolCallFormat.HERMES.holdFrom("Hello")).isEqualTo(5);
        assertThat(ToolCallFormat.HERMES.holdFrom("Hello <tool")).isEqualTo(6);
        assertThat(ToolCallFormat.HERMES.holdFrom("Hello <tool_call>\n{\"na")).isEqualTo(6);
        assertThat(ToolCallFormat.HERMES.holdFrom("a < b")).isEqualTo(5);
        assertThat(ToolCallFormat.LLAMA3_JSON.holdFrom(" {\"name\"")).isZero();
        assertThat(ToolCallFormat.LLAMA3_JSON.holdFrom("Hi there")).isEqualTo(8);
    }

    @Test
    void aForcedCallStartsTheReplyForTheModel() {
        assertThat(ToolCallFormat.HERMES.forcedPrefix("get_weather"))
                .isEqualTo("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": ");
        assertThat(ToolCallFormat.HERMES.forcedPrefix(null)).isEqualTo("<tool_call>\n{\"name\": \"");
    }

    @Test
    void theDefaultTemplateWritesCallsAndResultsAsQwenDoes() {
        ChatTemplate t = ChatTemplate.chatMlDefault();
        List<ChatMessage> conversation = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Weather in Oslo?"),
                ChatMessage.toolCalls(List.of(new ToolCall("call_1", "get_weather", "{\"city\":\"Oslo\"}"))),
                ChatMessage.toolResult("call_1", "{\"temp\": 3}"));
        String prompt = t.render(conversation, true, Map.of("tools", List.of(WEATHER)));
        assertThat(prompt).isEqualTo("<|im_start|>system\nBe brief.\n\n<tools>\n"
                + "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"parameters\": {\"type\": \"object\","
                + " \"properties\": {\"city\": {\"type\": \"string\"}}}}}\n</tools>\n"
                + "To call a function, reply with <tool_call>\n{\"name\": <function-name>, \"arguments\":"
                + " <args-json-object>}\n</tool_call><|im_end|>\n"
                + "<|im_start|>user\nWeather in Oslo?<|im_end|>\n"
                + "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n"
                + "</tool_call><|im_end|>\n"
                + "<|im_start|>user\n<tool_response>\n{\"temp\": 3}\n</tool_response><|im_end|>\n"
                + "<|im_start|>assistant\n");
        // without tools, the same conversation of plain turns renders as ChatML always did
        assertThat(t.render(List.of(ChatMessage.system("s"), ChatMessage.user("u")), true))
                .isEqualTo("<|im_start|>system\ns<|im_end|>\n<|im_start|>user\nu<|im_end|>\n<|im_start|>assistant\n");
        // what the model writes back is what the parser reads
        String call = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>";
        assertThat(prompt).contains(call);
        assertThat(ToolCallFormat.HERMES.parse(call).calls()).singleElement()
                .isEqualTo(new ToolCall(null, "get_weather", "{\"city\":\"Oslo\"}"));
    }
}
