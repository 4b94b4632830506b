package dev.livetune.llm.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How a model writes function calls, which its chat template defines, and how to read them back out
 * of what it generated.
 * <ul>
 *   <li>{@link #HERMES}: {@code <tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>}, one
 *       block per call, after optional text: Qwen2.5, Qwen3, Hermes, and livetune's default ChatML
 *       template;</li>
 *   <li>{@link #LLAMA3_JSON}: the whole reply is {@code {"name": ..., "parameters": {...}}}
 *       (optionally after {@code <|python_tag|>}): Llama 3.1/3.2's JSON tool calling.</li>
 * </ul>
 */
public enum ToolCallFormat {
    HERMES("<tool_call>", "</tool_call>", "arguments"),
    LLAMA3_JSON("<|python_tag|>", null, "parameters");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String open;
    private final String close;
    private final String argumentsKey;

    ToolCallFormat(String open, String close, String argumentsKey) {
        this.open = open;
        this.close = close;
        this.argumentsKey = argumentsKey;
    }

    /**
     * @param templateSource a chat template's Jinja source
     * @return the format it writes tool calls in, empty when it renders no tools
     */
    public static Optional<ToolCallFormat> of(String templateSource) {
        if (templateSource.contains("<tool_call>")) {
            return Optional.of(HERMES);
        }
        if (templateSource.contains("ipython") && templateSource.contains("parameters")) {
            return Optional.of(LLAMA3_JSON);
        }
        return Optional.empty();
    }

    /** What a reply held: its text, and the calls read from it. */
    public record Parsed(String content, List<ToolCall> calls) {
    }

    /**
     * Reads the calls out of a whole reply. A call block that is not a JSON object with a string
     * {@code name} and an object of arguments makes the whole reply text: nothing half-read is
     * returned as a call.
     *
     * @return the text outside the calls (trimmed) and the calls, arguments as compact JSON
     */
    public Parsed parse(String reply) {
        return switch (this) {
            case HERMES -> parseHermes(reply);
            case LLAMA3_JSON -> parseLlama(reply);
        };
    }

    private Parsed parseHermes(String reply) {
        List<ToolCall> calls = new ArrayList<>();
        StringBuilder content = new StringBuilder();
        int at = 0;
        while (true) {
            int start = reply.indexOf(open, at);
            if (start < 0) {
                content.append(reply, at, reply.length());
                break;
            }
            content.append(reply, at, start);
            int end = reply.indexOf(close, start + open.length());
            String body = end < 0 ? reply.substring(start + open.length()) : reply.substring(start + open.length(), end);
            Optional<ToolCall> call = call(body);
            if (call.isEmpty()) {
                return new Parsed(reply.strip(), List.of());
            }
            calls.add(call.get());
            if (end < 0) {
                break;
            }
            at = end + close.length();
        }
        return new Parsed(content.toString().strip(), calls);
    }

    private Parsed parseLlama(String reply) {
        String body = reply.strip();
        if (body.startsWith(open)) {
            body = body.substring(open.length()).strip();
        }
        if (!body.startsWith("{")) {
            return new Parsed(reply.strip(), List.of());
        }
        return call(body).map(c -> new Parsed("", List.of(c))).orElseGet(() -> new Parsed(reply.strip(), List.of()));
    }

    private Optional<ToolCall> call(String body) {
        try {
            JsonNode n = JSON.readTree(body.strip());
            if (n == null || !n.isObject() || !n.path("name").isTextual()) {
                return Optional.empty();
            }
            JsonNode args = n.has(argumentsKey) ? n.get(argumentsKey) : n.path("arguments");
            if (args.isTextual()) {
                // some models write the arguments as a JSON string
                args = JSON.readTree(args.asText());
            }
            if (args == null || args.isMissingNode()) {
                args = JSON.createObjectNode();
            }
            if (!args.isObject()) {
                return Optional.empty();
            }
            return Optional.of(new ToolCall(null, n.get("name").asText(), JSON.writeValueAsString(args)));
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }

    /**
     * While a reply streams, the text from this index on may be (the start of) a call and must be held
     * back until the reply ends; the text before it can be sent as it comes.
     *
     * @param soFar the reply so far
     * @return an index in {@code [0, soFar.length()]}
     */
    public int holdFrom(String soFar) {
        if (this == LLAMA3_JSON) {
            // a Llama call is the whole reply: hold while it could still be one
            String lead = soFar.stripLeading();
            boolean couldBeCall = lead.isEmpty() || lead.startsWith("{") || open.startsWith(lead) || lead.startsWith(open);
            return couldBeCall ? 0 : soFar.length();
        }
        int start = soFar.indexOf(open);
        if (start >= 0) {
            return start;
        }
        for (int k = Math.min(open.length() - 1, soFar.length()); k > 0; k--) {
            if (soFar.endsWith(open.substring(0, k))) {
                return soFar.length() - k;
            }
        }
        return soFar.length();
    }

    /**
     * The text that starts the reply when a call must be made ({@code tool_choice: required} or a named
     * function), appended to the prompt after the generation prompt.
     *
     * @param function the function to call, or null for any
     */
    public String forcedPrefix(String function) {
        String head = switch (this) {
            case HERMES -> open + "\n{\"name\": \"";
            case LLAMA3_JSON -> "{\"name\": \"";
        };
        return function == null ? head : head + function + "\", \"" + argumentsKey + "\": ";
    }
}
