package dev.livetune.llm.tools;

import java.util.Objects;

/**
 * A function call, as the model wrote it or as the conversation carries it.
 *
 * @param id        the call's id (the API's {@code call_...}); null when the model wrote it
 * @param name      the function's name
 * @param arguments the arguments as JSON text (an object)
 */
public record ToolCall(String id, String name, String arguments) {
    public ToolCall {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(arguments, "arguments");
    }
}
