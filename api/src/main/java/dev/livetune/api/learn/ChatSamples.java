package dev.livetune.api.learn;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A tenant's own training data in OpenAI's chat fine-tuning format: one JSON object per line,
 * {@code {"messages": [{"role": "system"|"user"|"assistant"|"tool", "content": "..."}, ...]}}, each
 * conversation with at least one user and one assistant turn; for function calling, the line's
 * {@code tools}, assistant turns with {@code tool_calls} of those tools (content then null) and
 * {@code tool} turns answering a call by {@code tool_call_id}. The gateway checks an upload with it
 * (so a bad file is refused at once, every bad line named) and the orchestrator reads the file with it
 * when it builds the job's dataset.
 */
public final class ChatSamples {

    /** Fewer conversations than this teach nothing reliably (OpenAI asks for as many). */
    public static final int MIN_SAMPLES = 10;

    /** At most this many bad lines are named in one error. */
    private static final int NAMED = 10;

    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");
    private static final Set<String> MESSAGE_FIELDS = Set.of("role", "content", "name", "weight", "tool_calls",
            "tool_call_id");

    /**
     * One conversation: its line in the file, the conversation as the trainer reads it, and the
     * functions it may call ({@code null}: none).
     */
    public record Sample(int line, List<Message> messages, ArrayNode tools) {

        public Sample(int line, List<Message> messages) {
            this(line, messages, null);
        }

        /** @return the conversation as one JSONL line of the trainer's chat format */
        public String jsonl() {
            ObjectNode o = JSON.createObjectNode();
            if (tools != null) {
                o.set("tools", tools);
            }
            ArrayNode m = o.putArray("messages");
            for (Message x : messages) {
                ObjectNode n = m.addObject().put("role", x.role());
                if (x.toolCalls() != null) {
                    n.putNull("content");
                    n.set("tool_calls", x.toolCalls());
                } else {
                    n.put("content", x.content());
                }
                if (x.toolCallId() != null) {
                    n.put("tool_call_id", x.toolCallId());
                }
            }
            return o.toString();
        }

        /** @return the last assistant turn, the answer a probe of this conversation expects ("" for a call) */
        public String answer() {
            return messages.get(lastAssistant()).content();
        }

        /**
         * @return the call the last assistant turn makes, as a tool probe expects it ({@code {"name": ...,
         *         "arguments": {...}}}), or null when it answers in text
         */
        public String expectedCall() {
            ArrayNode calls = messages.get(lastAssistant()).toolCalls();
            if (calls == null) {
                return null;
            }
            JsonNode f = calls.get(0).get("function");
            ObjectNode call = JSON.createObjectNode().put("name", f.get("name").asText());
            try {
                call.set("arguments", JSON.readTree(f.get("arguments").asText()));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("a checked call has JSON arguments", e);
            }
            return call.toString();
        }

        /** @return the user turn before the last assistant turn, the question a probe of it asks */
        public String question() {
            for (int i = lastAssistant() - 1; i >= 0; i--) {
                if (messages.get(i).role().equals("user")) {
                    return messages.get(i).content();
                }
            }
            throw new IllegalStateException("a checked sample has a user turn before its answer");
        }

        private int lastAssistant() {
            for (int i = messages.size() - 1; i >= 0; i--) {
                if (messages.get(i).role().equals("assistant")) {
                    return i;
                }
            }
            throw new IllegalStateException("a checked sample has an assistant turn");
        }
    }

    /**
     * @param toolCalls  an assistant turn's calls as given ({@code [{"id", "type", "function": {"name",
     *                   "arguments"}}]}), or null
     * @param toolCallId a tool turn's call, or null
     */
    public record Message(String role, String content, ArrayNode toolCalls, String toolCallId) {
        public Message(String role, String content) {
            this(role, content, null, null);
        }
    }

    /** A file that is not valid training data: every bad line (the first ten) with its number. */
    public static final class InvalidSamplesException extends IllegalArgumentException {
        private final List<String> problems;

        InvalidSamplesException(String message, List<String> problems) {
            super(message);
            this.problems = List.copyOf(problems);
        }

        /** @return each problem, as {@code line N: why} where it is a line's */
        public List<String> problems() {
            return problems;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final java.util.regex.Pattern TOOL_NAME = java.util.regex.Pattern.compile("[a-zA-Z0-9_-]{1,64}");

    private ChatSamples() {
    }

    /**
     * @param name  the file's name, for the message
     * @param bytes the file
     * @return its conversations in file order
     * @throws InvalidSamplesException naming each bad line (up to ten, and how many more), or what is
     *                                 wrong with the file as a whole
     */
    public static List<Sample> read(String name, byte[] bytes) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidSamplesException(name + " is not UTF-8 text", List.of("not UTF-8 text"));
        }
        List<Sample> out = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            try {
                out.add(parse(i + 1, lines[i]));
            } catch (IllegalArgumentException e) {
                problems.add("line " + (i + 1) + ": " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            String listed = String.join("; ", problems.subList(0, Math.min(NAMED, problems.size())));
            int more = problems.size() - NAMED;
            throw new InvalidSamplesException(name + " is not chat-format training data (one {\"messages\": [...]} object"
                    + " per line): " + listed + (more > 0 ? "; and " + more + " more bad lines" : ""), problems);
        }
        if (out.size() < MIN_SAMPLES) {
            throw new InvalidSamplesException(name + " holds " + out.size() + " conversations; a fine-tuning file needs at"
                    + " least " + MIN_SAMPLES, List.of("fewer than " + MIN_SAMPLES + " conversations"));
        }
        return out;
    }

    private static Sample parse(int number, String line) {
        JsonNode root;
        try {
            root = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("must be a JSON object with \"messages\"");
        }
        for (var it = root.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (field.equals("functions")) {
                throw new IllegalArgumentException("\"functions\" (the legacy form) is not supported; give \"tools\"");
            }
            if (!Set.of("messages", "tools", "parallel_tool_calls").contains(field)) {
                throw new IllegalArgumentException("unknown field \"" + field + "\" (only \"messages\", \"tools\" and"
                        + " \"parallel_tool_calls\")");
            }
        }
        ArrayNode tools = tools(root.get("tools"));
        Set<String> toolNames = new HashSet<>();
        if (tools != null) {
            tools.forEach(t -> toolNames.add(t.get("function").get("name").asText()));
        }
        Set<String> callIds = new HashSet<>();
        JsonNode messages = root.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw new IllegalArgumentException("\"messages\" must be a non-empty array");
        }
        List<Message> out = new ArrayList<>();
        boolean user = false;
        boolean assistant = false;
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            if (!m.isObject()) {
                throw new IllegalArgumentException("messages[" + i + "] must be an object");
            }
            for (var it = m.fieldNames(); it.hasNext(); ) {
                String field = it.next();
                if (!MESSAGE_FIELDS.contains(field)) {
                    throw new IllegalArgumentException("messages[" + i + "] has an unknown field \"" + field + "\"");
                }
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual() || !ROLES.contains(role.asText())) {
                throw new IllegalArgumentException("messages[" + i + "].role must be \"system\", \"user\", \"assistant\""
                        + " or \"tool\"");
            }
            ArrayNode calls = calls(m.get("tool_calls"), "messages[" + i + "]", role.asText(), toolNames);
            JsonNode content = m.get("content");
            if (calls != null) {
                if (content != null && !content.isNull()) {
                    throw new IllegalArgumentException("messages[" + i + "]: an assistant turn that calls tools has null content");
                }
                calls.forEach(c -> callIds.add(c.get("id").asText()));
                assistant |= user;
                out.add(new Message("assistant", "", calls, null));
                continue;
            }
            if (content == null || !content.isTextual() || content.asText().isBlank()) {
                throw new IllegalArgumentException("messages[" + i + "].content must be a non-empty string");
            }
            String toolCallId = null;
            if (role.asText().equals("tool")) {
                JsonNode id = m.get("tool_call_id");
                if (id == null || !id.isTextual() || !callIds.contains(id.asText())) {
                    throw new IllegalArgumentException("messages[" + i + "].tool_call_id must name a call of an earlier"
                            + " assistant turn");
                }
                toolCallId = id.asText();
            } else if (m.has("tool_call_id")) {
                throw new IllegalArgumentException("messages[" + i + "].tool_call_id belongs on a tool turn");
            }
            JsonNode weight = m.get("weight");
            if (weight != null && !(weight.isIntegralNumber() && weight.asInt() == 1)) {
                throw new IllegalArgumentException("messages[" + i + "].weight: every assistant turn is trained; only 1 is"
                        + " accepted");
            }
            user |= role.asText().equals("user");
            assistant |= role.asText().equals("assistant") && user;
            out.add(new Message(role.asText(), content.asText(), null, toolCallId));
        }
        if (!assistant) {
            throw new IllegalArgumentException("no assistant turn after a user turn, so nothing to learn");
        }
        return new Sample(number, out, tools);
    }

    /** @return the line's functions, each {"type": "function", "function": {"name", ...}}; null for none */
    private static ArrayNode tools(JsonNode tools) {
        if (tools == null || tools.isNull()) {
            return null;
        }
        if (!tools.isArray() || tools.isEmpty()) {
            throw new IllegalArgumentException("\"tools\" must be a non-empty array of {\"type\": \"function\", ...}");
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < tools.size(); i++) {
            JsonNode t = tools.get(i);
            JsonNode name = t.path("function").path("name");
            if (!"function".equals(t.path("type").asText()) || !name.isTextual() || !TOOL_NAME.matcher(name.asText()).matches()) {
                throw new IllegalArgumentException("tools[" + i + "] must be {\"type\": \"function\", \"function\": {\"name\":"
                        + " 1-64 letters, digits, _ or -, ...}}");
            }
            if (!t.path("function").path("parameters").isMissingNode() && !t.path("function").path("parameters").isObject()) {
                throw new IllegalArgumentException("tools[" + i + "].function.parameters must be a JSON Schema object");
            }
            if (!names.add(name.asText())) {
                throw new IllegalArgumentException("tools[" + i + "]: '" + name.asText() + "' is defined twice");
            }
        }
        return (ArrayNode) tools;
    }

    /** @return an assistant turn's calls, each of one of the line's tools with JSON object arguments; null for none */
    private static ArrayNode calls(JsonNode calls, String at, String role, Set<String> tools) {
        if (calls == null || calls.isNull()) {
            return null;
        }
        if (!role.equals("assistant") || !calls.isArray() || calls.isEmpty()) {
            throw new IllegalArgumentException(at + ".tool_calls must be a non-empty array, on an assistant turn");
        }
        for (int j = 0; j < calls.size(); j++) {
            JsonNode c = calls.get(j);
            String where = at + ".tool_calls[" + j + "]";
            if (!c.path("id").isTextual() || !"function".equals(c.path("type").asText())) {
                throw new IllegalArgumentException(where + " must be {\"id\", \"type\": \"function\", \"function\": {...}}");
            }
            String name = c.path("function").path("name").asText("");
            if (!tools.contains(name)) {
                throw new IllegalArgumentException(where + " calls '" + name + "', which is not one of the line's tools");
            }
            JsonNode args;
            try {
                args = c.path("function").path("arguments").isTextual()
                        ? JSON.readTree(c.get("function").get("arguments").asText()) : null;
            } catch (JsonProcessingException e) {
                args = null;
            }
            if (args == null || !args.isObject()) {
                throw new IllegalArgumentException(where + ".function.arguments must be a JSON object, as a string");
            }
        }
        return (ArrayNode) calls;
    }
}
