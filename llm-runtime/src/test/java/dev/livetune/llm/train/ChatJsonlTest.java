package dev.livetune.llm.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.llm.tokenizer.ChatMessage;
import dev.livetune.llm.tools.ToolCall;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** OpenAI's fine-tuning format, function calling included: what is read, and what is refused by line. */
class ChatJsonlTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void toolsCallsAndResultsAreRead(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("t.jsonl");
        Files.writeString(file, """
                {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}

                {"tools": [{"type": "function", "function": {"name": "w", "parameters": {"type": "object"}}}], "messages": [{"role": "user", "content": "c?"}, {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "w", "arguments": "{\\"c\\": 1}"}}]}, {"role": "tool", "tool_call_id": "call_1", "content": "3"}, {"role": "assistant", "content": "It is 3."}]}
                """);
        List<ChatJsonl.Sample> samples = ChatJsonl.read(file, JSON);
        assertThat(samples).hasSize(2);
        assertThat(samples.get(0).tools()).isEmpty();
        ChatJsonl.Sample tools = samples.get(1);
        assertThat(tools.line()).isEqualTo(3);
        assertThat(tools.tools()).singleElement().satisfies(t -> assertThat(t).containsEntry("type", "function"));
        assertThat(tools.messages()).containsExactly(ChatMessage.user("c?"),
                ChatMessage.toolCalls(List.of(new ToolCall("call_1", "w", "{\"c\": 1}"))),
                ChatMessage.toolResult("call_1", "3"), ChatMessage.assistant("It is 3."));
    }

    @Test
    void malformedToolPartsAreRefusedNamingTheLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.jsonl");
        Files.writeString(file, "{\"messages\": [{\"role\": \"tool\", \"content\": \"3\"}, {\"role\": \"assistant\", \"content\": \"x\"}]}\n");
        assertThatThrownBy(() -> ChatJsonl.read(file, JSON)).isInstanceOf(InvalidTrainingInputException.class)
                .hasMessage("bad.jsonl line 1: messages[0].tool_call_id is required on a tool message");
        Files.writeString(file, "{\"tools\": [{\"type\": \"function\"}], \"messages\": [{\"role\": \"assistant\", \"content\": \"x\"}]}\n");
        assertThatThrownBy(() -> ChatJsonl.read(file, JSON)).hasMessageContaining("line 1: tools[0] must be");
        Files.writeString(file, "{\"messages\": [{\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"function\":"
                + " {\"name\": \"w\", \"arguments\": {}}}]}]}\n");
        assertThatThrownBy(() -> ChatJsonl.read(file, JSON)).hasMessageContaining("function.arguments (a string of JSON)");
    }
}
