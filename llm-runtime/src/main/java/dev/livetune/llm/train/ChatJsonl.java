package dev.livetune.llm.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.llm.tokenizer.ChatMessage;
import dev.livetune.llm.tools.ToolCall;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads chat samples in OpenAI's fine-tuning format: one JSON object per line,
 * {@code {"messages": [{"role": "system"|"user"|"assistant"|"tool", "content": "..."}, ...]}} with at
 * least one assistant turn; for function calling, a line's {@code tools} (OpenAI's
 * {@code {"type": "function", "function": {...}}}), assistant turns with {@code tool_calls} (content
 * may then be null) and {@code tool} turns with the {@code tool_call_id} they answer. Blank lines are
 * skipped; anything else that is wrong names its line.
 */
public final class ChatJsonl {

    /**
     * One conversation, the functions it may call (as chat templates see them) and the line it came from.
     */
    public record Sample(int line, List<ChatMessage> messages, List<Map<String, Object>> tools) {
        public Sample(int line, List<ChatMessage> messages) {
            this(line, messages, List.of());
        }
    }

    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");

    private ChatJsonl() {
    }

    /**
     * @throws InvalidTrainingInputException naming the file, the line and the problem
     */
    public static List<Sample> read(Path file, ObjectMapper json) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidTrainingInputException(file + ": file not found");
        }
        List<Sample> out = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new java.io.InputStreamReader(Files.newInputStream(file),
                StandardCharsets.UTF_8.newDecoder()))) {
            String text;
            int line = 0;
            while ((text = in.readLine()) != null) {
                line++;
                if (!text.isBlank()) {
                    out.add(parse(file, line, text, json));
                }
            }
        } catch (CharacterCodingException e) {
            throw new InvalidTrainingInputException(file + ": not valid UTF-8", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (out.isEmpty()) {
            throw new InvalidTrainingInputException(file + ": no samples");
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Sample parse(Path file, int line, String text, ObjectMapper json) {
        JsonNode root;
        try {
            root = json.readTree(text);
        } catch (JsonProcessingException e) {
            throw bad(file, line, "not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isObject()) {
            throw bad(file, line, "must be a JSON object with \"messages\"");
        }
        JsonNode messages = root.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw bad(file, line, "\"messages\" must be a non-empty array");
        }
        List<ChatMessage> out = new ArrayList<>();
        boolean assistant = false;
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            JsonNode role = m.get("role");
            JsonNode content = m.get("content");
            if (role == null || !role.isTextual() || !ROLES.contains(role.asText())) {
                throw bad(file, line, "messages[" + i + "].role must be \"system\", \"user\", \"assistant\" or \"tool\"");
            }
            List<ToolCall> calls = new ArrayList<>();
            JsonNode toolCalls = m.get("tool_calls");
            if (toolCalls != null && !toolCalls.isNull()) {
                if (!role.asText().equals("assistant") || !toolCalls.isArray()) {
                    throw bad(file, line, "messages[" + i + "].tool_calls must be an array, on an assistant message");
                }
                for (int j = 0; j < toolCalls.size(); j++) {
                    JsonNode f = toolCalls.get(j).path("function");
                    if (!f.path("name").isTextual() || !f.path("arguments").isTextual()) {
                        throw bad(file, line, "messages[" + i + "].tool_calls[" + j + "] must have function.name and"
                                + " function.arguments (a string of JSON)");
                    }
                    calls.add(new ToolCall(toolCalls.get(j).path("id").isTextual() ? toolCalls.get(j).get("id").asText()
                            : null, f.get("name").asText(), f.get("arguments").asText()));
                }
            }
            boolean callsOnly = !calls.isEmpty() && (content == null || content.isNull());
            if (!callsOnly && (content == null || !content.isTextual())) {
                throw bad(file, line, "messages[" + i + "].content must be a string");
            }
            String toolCallId = null;
            if (role.asText().equals("tool")) {
                if (!m.path("tool_call_id").isTextual()) {
                    throw bad(file, line, "messages[" + i + "].tool_call_id is required on a tool message");
                }
                toolCallId = m.get("tool_call_id").asText();
            }
            assistant |= role.asText().equals("assistant");
            out.add(new ChatMessage(role.asText(), callsOnly ? "" : content.asText(), calls, toolCallId));
        }
        if (!assistant) {
            throw bad(file, line, "no assistant message, so nothing to learn");
        }
        List<Map<String, Object>> tools = new ArrayList<>();
        JsonNode t = root.get("tools");
        if (t != null && !t.isNull()) {
            if (!t.isArray()) {
                throw bad(file, line, "\"tools\" must be an array");
            }
            for (int i = 0; i < t.size(); i++) {
                if (!"function".equals(t.get(i).path("type").asText()) || !t.get(i).path("function").path("name").isTextual()) {
                    throw bad(file, line, "tools[" + i + "] must be {\"type\": \"function\", \"function\": {\"name\", ...}}");
                }
                tools.add(json.convertValue(t.get(i), LinkedHashMap.class));
            }
        }
        return new Sample(line, out, tools);
    }

    private static InvalidTrainingInputException bad(Path file, int line, String why) {
        return new InvalidTrainingInputException(file.getFileName() + " line " + line + ": " + why);
    }
}
