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
import java.util.List;
import java.util.Set;

/**
 * A tenant's own training data in OpenAI's chat fine-tuning format: one JSON object per line,
 * {@code {"messages": [{"role": "system"|"user"|"assistant", "content": "..."}, ...]}}, each
 * conversation with at least one user and one assistant turn. The gateway checks an upload with it
 * (so a bad file is refused at once, every bad line named) and the orchestrator reads the file with it
 * when it builds the job's dataset.
 */
public final class ChatSamples {

    /** Fewer conversations than this teach nothing reliably (OpenAI asks for as many). */
    public static final int MIN_SAMPLES = 10;

    /** At most this many bad lines are named in one error. */
    private static final int NAMED = 10;

    private static final Set<String> ROLES = Set.of("system", "user", "assistant");
    private static final Set<String> MESSAGE_FIELDS = Set.of("role", "content", "name", "weight");

    /** One conversation: its line in the file, and the conversation as the trainer reads it (roles and contents). */
    public record Sample(int line, List<Message> messages) {

        /** @return the conversation as one JSONL line of the trainer's chat format */
        public String jsonl() {
            ObjectNode o = JSON.createObjectNode();
            ArrayNode m = o.putArray("messages");
            messages.forEach(x -> m.addObject().put("role", x.role()).put("content", x.content()));
            return o.toString();
        }

        /** @return the last assistant turn, the answer a probe of this conversation expects */
        public String answer() {
            return messages.get(lastAssistant()).content();
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

    public record Message(String role, String content) {
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
                out.add(new Sample(i + 1, parse(lines[i])));
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

    private static List<Message> parse(String line) {
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
            if (field.equals("tools") || field.equals("functions")) {
                throw new IllegalArgumentException("\"" + field + "\" in training data is not supported (livetune learns"
                        + " conversations, not function calls)");
            }
            if (!field.equals("messages")) {
                throw new IllegalArgumentException("unknown field \"" + field + "\" (only \"messages\")");
            }
        }
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
                throw new IllegalArgumentException("messages[" + i + "].role must be \"system\", \"user\" or \"assistant\"");
            }
            JsonNode content = m.get("content");
            if (content == null || !content.isTextual() || content.asText().isBlank()) {
                throw new IllegalArgumentException("messages[" + i + "].content must be a non-empty string");
            }
            JsonNode weight = m.get("weight");
            if (weight != null && !(weight.isIntegralNumber() && weight.asInt() == 1)) {
                throw new IllegalArgumentException("messages[" + i + "].weight: every assistant turn is trained; only 1 is"
                        + " accepted");
            }
            user |= role.asText().equals("user");
            assistant |= role.asText().equals("assistant") && user;
            out.add(new Message(role.asText(), content.asText()));
        }
        if (!assistant) {
            throw new IllegalArgumentException("no assistant turn after a user turn, so nothing to learn");
        }
        return out;
    }
}
