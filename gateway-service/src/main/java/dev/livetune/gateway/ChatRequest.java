package dev.livetune.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livetune.api.inference.v1.ToolCall;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A {@code POST /v1/chat/completions} body, checked field by field so every mistake gets a 400
 * that names the parameter. A parameter livetune does not support is accepted only with a value that
 * would change nothing (its default, e.g. {@code presence_penalty: 0}); any other is refused, never
 * ignored.
 */
record ChatRequest(String model, List<Message> messages, ChatTools tools, boolean stream, boolean includeUsage,
        Integer maxTokens, Double temperature, Double topP, Long seed, List<String> stop, String user) {

    private static final Set<String> KNOWN = Set.of("model", "messages", "stream", "stream_options", "max_tokens",
            "max_completion_tokens", "temperature", "top_p", "seed", "stop", "user", "n", "tools", "tool_choice",
            "parallel_tool_calls");
    /**
     * Parameters livetune does not act on, each with the values that would change nothing: those are
     * accepted (client libraries send some of them by default), any other is refused naming the
     * parameter. {@code null} is always accepted.
     */
    static final Map<String, Unsupported> UNSUPPORTED = Map.ofEntries(
            neutral("logprobs", "false", v -> v.isBoolean() && !v.booleanValue()),
            neutral("top_logprobs", "0", v -> v.isIntegralNumber() && v.longValue() == 0),
            neutral("logit_bias", "{}", v -> v.isObject() && v.isEmpty()),
            neutral("response_format", "{\"type\": \"text\"}", v -> v.isObject() && v.size() == 1 && "text".equals(v.path("type").textValue())),
            neutral("presence_penalty", "0", v -> v.isNumber() && v.doubleValue() == 0),
            neutral("frequency_penalty", "0", v -> v.isNumber() && v.doubleValue() == 0),
            // the legacy form of tools and tool_choice
            neutral("function_call", "\"none\"", v -> "none".equals(v.textValue())),
            neutral("modalities", "[\"text\"]", v -> v.isArray() && v.size() == 1 && "text".equals(v.get(0).textValue())),
            neutral("store", "false", v -> v.isBoolean() && !v.booleanValue()),
            neutral("metadata", "{}", v -> v.isObject() && v.isEmpty()),
            neutral("service_tier", "\"auto\" or \"default\"", v -> "auto".equals(v.textValue()) || "default".equals(v.textValue())),
            refused("functions"),
            refused("audio"),
            refused("prediction"),
            refused("reasoning_effort"),
            refused("web_search_options"));

    /** An unsupported parameter: the values of it that change nothing, said and tested. */
    record Unsupported(String neutral, Predicate<JsonNode> isNeutral) {
    }

    private static Map.Entry<String, Unsupported> neutral(String name, String neutral, Predicate<JsonNode> isNeutral) {
        return Map.entry(name, new Unsupported(neutral, isNeutral));
    }

    /** A parameter with no value that changes nothing: any value is refused. */
    private static Map.Entry<String, Unsupported> refused(String name) {
        return neutral(name, null, v -> false);
    }

    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

    static ChatRequest parse(JsonNode body, int maxTokensLimit) {
        if (body == null || !body.isObject()) {
            throw OpenAiException.invalid(null, "the request body must be a JSON object");
        }
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            Unsupported unsupported = UNSUPPORTED.get(f);
            if (unsupported != null) {
                JsonNode v = body.get(f);
                if (!v.isNull() && !unsupported.isNeutral().test(v)) {
                    throw OpenAiException.invalid(f, "'" + f + "' is not supported by livetune"
                            + (unsupported.neutral() == null ? "" : "; only " + unsupported.neutral() + " (no effect) is accepted"));
                }
            } else if (!KNOWN.contains(f)) {
                throw OpenAiException.invalid(f, "unrecognized request argument supplied: " + f);
            }
        }
        JsonNode model = body.get("model");
        if (model == null || !model.isTextual() || model.asText().isBlank()) {
            throw OpenAiException.invalid("model", "'model' is required and must be a string");
        }
        JsonNode msgs = body.get("messages");
        if (msgs == null || !msgs.isArray()) {
            throw OpenAiException.invalid("messages", "'messages' is required and must be an array");
        }
        if (msgs.isEmpty()) {
            throw OpenAiException.invalid("messages", "'messages' must not be empty");
        }
        ChatTools tools = ChatTools.parse(body);
        List<Message> messages = new ArrayList<>();
        Set<String> calls = new HashSet<>();
        for (int i = 0; i < msgs.size(); i++) {
            messages.add(message(msgs.get(i), "messages[" + i + "]", calls));
        }
        String lastRole = messages.get(messages.size() - 1).role();
        if (!lastRole.equals("user") && !lastRole.equals("tool")) {
            throw OpenAiException.invalid("messages", "the last message must be from the user (or a tool's result)");
        }
        JsonNode n = body.get("n");
        if (n != null && !n.isNull() && !(n.isIntegralNumber() && n.asInt() == 1)) {
            throw OpenAiException.invalid("n", "only n = 1 is supported");
        }
        boolean stream = bool(body, "stream");
        boolean includeUsage = false;
        JsonNode so = body.get("stream_options");
        if (so != null && !so.isNull()) {
            if (!stream) {
                throw OpenAiException.invalid("stream_options", "'stream_options' is only allowed with stream: true");
            }
            if (!so.isObject()) {
                throw OpenAiException.invalid("stream_options", "'stream_options' must be an object");
            }
            includeUsage = bool(so, "include_usage");
        }
        Integer maxTokens = integer(body, "max_completion_tokens", 1, maxTokensLimit);
        if (maxTokens == null) {
            maxTokens = integer(body, "max_tokens", 1, maxTokensLimit);
        }
        Double temperature = number(body, "temperature", 0, 2);
        Double topP = number(body, "top_p", 0, 1);
        if (topP != null && topP == 0) {
            throw OpenAiException.invalid("top_p", "'top_p' must be greater than 0");
        }
        JsonNode seedNode = body.get("seed");
        Long seed = null;
        if (seedNode != null && !seedNode.isNull()) {
            if (!seedNode.isIntegralNumber() || !seedNode.canConvertToLong()) {
                throw OpenAiException.invalid("seed", "'seed' must be an integer");
            }
            seed = seedNode.asLong();
        }
        List<String> stop = new ArrayList<>();
        JsonNode s = body.get("stop");
        if (s != null && !s.isNull()) {
            if (s.isTextual()) {
                stop.add(s.asText());
            } else if (s.isArray() && s.size() <= 4) {
                for (JsonNode x : s) {
                    if (!x.isTextual()) {
                        throw OpenAiException.invalid("stop", "'stop' must be a string or up to 4 strings");
                    }
                    stop.add(x.asText());
                }
            } else {
                throw OpenAiException.invalid("stop", "'stop' must be a string or up to 4 strings");
            }
            if (stop.stream().anyMatch(String::isEmpty)) {
                throw OpenAiException.invalid("stop", "stop strings must not be empty");
            }
        }
        JsonNode user = body.get("user");
        if (user != null && !user.isNull() && !user.isTextual()) {
            throw OpenAiException.invalid("user", "'user' must be a string");
        }
        return new ChatRequest(model.asText(), messages, tools, stream, includeUsage, maxTokens, temperature, topP, seed,
                stop, user == null || user.isNull() ? null : user.asText());
    }

    /**
     * One message: a role and its content; an assistant's may carry {@code tool_calls} (and then no
     * content), a {@code tool} message answers one of the calls before it by {@code tool_call_id}.
     *
     * @param calls the ids of the calls made so far; this message's are added
     */
    private static Message message(JsonNode m, String at, Set<String> calls) {
        if (!m.isObject()) {
            throw OpenAiException.invalid(at, at + " must be an object");
        }
        JsonNode role = m.get("role");
        if (role == null || !role.isTextual() || !ROLES.contains(role.asText())) {
            if (role != null && role.isTextual() && role.asText().equals("function")) {
                throw OpenAiException.invalid(at + ".role", "role 'function' (the legacy form) is not supported;"
                        + " send function results as role 'tool' with the call's tool_call_id");
            }
            throw OpenAiException.invalid(at + ".role", at + ".role must be 'system', 'developer', 'user', 'assistant'"
                    + " or 'tool'");
        }
        String r = role.asText().equals("developer") ? "system" : role.asText();
        JsonNode toolCalls = m.get("tool_calls");
        if (r.equals("assistant") && toolCalls != null && !toolCalls.isNull() && !toolCalls.isEmpty()) {
            List<ToolCall> out = new ArrayList<>();
            if (!toolCalls.isArray()) {
                throw OpenAiException.invalid(at + ".tool_calls", at + ".tool_calls must be an array");
            }
            for (int j = 0; j < toolCalls.size(); j++) {
                out.add(call(toolCalls.get(j), at + ".tool_calls[" + j + "]"));
            }
            out.forEach(c -> calls.add(c.getId()));
            JsonNode c = m.get("content");
            return new Message(r, c == null || c.isNull() ? "" : content(c, at + ".content"), out, null);
        }
        if (toolCalls != null && !toolCalls.isNull() && !r.equals("assistant")) {
            throw OpenAiException.invalid(at + ".tool_calls", "only assistant messages carry tool_calls");
        }
        if (r.equals("tool")) {
            JsonNode id = m.get("tool_call_id");
            if (id == null || !id.isTextual() || id.asText().isEmpty()) {
                throw OpenAiException.invalid(at + ".tool_call_id", at + ".tool_call_id is required: the id of the call"
                        + " this message answers");
            }
            if (!calls.contains(id.asText())) {
                throw OpenAiException.invalid(at + ".tool_call_id", at + ".tool_call_id '" + id.asText()
                        + "' answers no call of an earlier assistant message");
            }
            return new Message(r, content(m.get("content"), at + ".content"), List.of(), id.asText());
        }
        return Message.of(r, content(m.get("content"), at + ".content"));
    }

    private static ToolCall call(JsonNode c, String at) {
        if (!c.isObject() || !"function".equals(c.path("type").textValue())) {
            throw OpenAiException.invalid(at + ".type", at + " must be {\"id\", \"type\": \"function\", \"function\":"
                    + " {\"name\", \"arguments\"}}");
        }
        if (!c.path("id").isTextual() || c.get("id").asText().isEmpty()) {
            throw OpenAiException.invalid(at + ".id", at + ".id is required");
        }
        JsonNode f = c.path("function");
        if (!f.path("name").isTextual() || f.get("name").asText().isEmpty()) {
            throw OpenAiException.invalid(at + ".function.name", at + ".function.name is required");
        }
        if (!f.path("arguments").isTextual()) {
            throw OpenAiException.invalid(at + ".function.arguments", at + ".function.arguments must be a string of JSON");
        }
        return ToolCall.newBuilder().setId(c.get("id").asText()).setName(f.get("name").asText())
                .setArguments(f.get("arguments").asText()).build();
    }

    /** A string, or an array of {@code {"type": "text", "text": ...}} parts (joined). */
    private static String content(JsonNode c, String at) {
        if (c == null || c.isNull()) {
            throw OpenAiException.invalid(at, at + " is required");
        }
        if (c.isTextual()) {
            return c.asText();
        }
        if (c.isArray()) {
            StringBuilder out = new StringBuilder();
            for (JsonNode part : c) {
                if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw OpenAiException.invalid(at, at + ": only text parts are supported");
                }
                out.append(part.get("text").asText());
            }
            return out.toString();
        }
        throw OpenAiException.invalid(at, at + " must be a string or an array of text parts");
    }

    private static boolean bool(JsonNode o, String name) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw OpenAiException.invalid(name, "'" + name + "' must be a boolean");
        }
        return v.asBoolean();
    }

    private static Integer integer(JsonNode o, String name, int min, int max) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min || v.asInt() > max) {
            throw OpenAiException.invalid(name, "'" + name + "' must be an integer from " + min + " to " + max);
        }
        return v.asInt();
    }

    private static Double number(JsonNode o, String name, double min, double max) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber() || v.asDouble() < min || v.asDouble() > max || Double.isNaN(v.asDouble())) {
            throw OpenAiException.invalid(name, "'" + name + "' must be a number from " + min + " to " + max);
        }
        return v.asDouble();
    }
}
