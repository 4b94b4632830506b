package dev.livetune.llm.tokenizer;

import dev.livetune.llm.tools.ToolCall;
import java.util.List;
import java.util.Objects;

/**
 * One turn of a conversation as chat templates see it: {@code {"role": ..., "content": ...}}, and for
 * function calling an assistant turn's {@code tool_calls} and a {@code tool} turn's {@code tool_call_id}.
 *
 * @param role the speaker, e.g. {@code system}, {@code user}, {@code assistant}, {@code tool}; never null
 * @param content the text of the turn; null is turned into the empty string because templates
 *     concatenate it and Jinja would otherwise print nothing or fail on string methods
 * @param toolCalls the functions an assistant turn called (empty for none)
 * @param toolCallId the call a {@code tool} turn answers, or null
 */
public record ChatMessage(String role, String content, List<ToolCall> toolCalls, String toolCallId) {
    public ChatMessage {
        Objects.requireNonNull(role, "role must not be null");
        if (role.isBlank()) {
            throw new IllegalArgumentException("role must not be blank");
        }
        content = content == null ? "" : content;
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    }

    public ChatMessage(String role, String content) {
        this(role, content, List.of(), null);
    }

    /** A {@code system} turn. */
    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    /** A {@code user} turn. */
    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    /** An {@code assistant} turn. */
    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }

    /** An {@code assistant} turn that calls functions. */
    public static ChatMessage toolCalls(List<ToolCall> calls) {
        return new ChatMessage("assistant", "", calls, null);
    }

    /** A {@code tool} turn: a function's result. */
    public static ChatMessage toolResult(String toolCallId, String content) {
        return new ChatMessage("tool", content, List.of(), toolCallId);
    }
}
