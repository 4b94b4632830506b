package dev.livetune.gateway;

import dev.livetune.api.inference.v1.ToolCall;
import java.util.List;

/**
 * One message of a conversation as the gateway passes it on: a role and its text, and for function
 * calling an assistant message's calls or a {@code tool} message's call id.
 *
 * @param role       system, user, assistant or tool
 * @param content    the text ("" for an assistant message that only calls)
 * @param toolCalls  an assistant message's calls (empty for none)
 * @param toolCallId a tool message's call, or null
 */
public record Message(String role, String content, List<ToolCall> toolCalls, String toolCallId) {

    public Message {
        toolCalls = List.copyOf(toolCalls);
    }

    /** A plain message. */
    public static Message of(String role, String content) {
        return new Message(role, content, List.of(), null);
    }
}
