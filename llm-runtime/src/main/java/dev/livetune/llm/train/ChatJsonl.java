package dev.livetune.llm.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.llm.tokenizer.ChatMessage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads chat samples in OpenAI's fine-tuning format: one JSON object per line,
 * {@code {"messages": [{"role": "system"|"user"|"assistant", "content": "..."}, ...]}} with at least
 * one assistant turn. Blank lines are skipped; anything else that is wrong names its line.
 */
public final class ChatJsonl {

    /** One conversation and the line it came from. */
    public record Sample(int line, List<ChatMessage> messages) {
    }

    private static final Set<String> ROLES = Set.of("system", "user", "assistant");

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
                    out.add(new Sample(line, parse(file, line, text, json)));
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

    private static List<ChatMessage> parse(Path file, int line, String text, ObjectMapper json) {
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
                throw bad(file, line, "messages[" + i + "].role must be \"system\", \"user\" or \"assistant\"");
            }
            if (content == null || !content.isTextual()) {
                throw bad(file, line, "messages[" + i + "].content must be a string");
            }
            assistant |= role.asText().equals("assistant");
            out.add(new ChatMessage(role.asText(), content.asText()));
        }
        if (!assistant) {
            throw bad(file, line, "no assistant message, so nothing to learn");
        }
        return out;
    }

    private static InvalidTrainingInputException bad(Path file, int line, String why) {
        return new InvalidTrainingInputException(file.getFileName() + " line " + line + ": " + why);
    }
}
