package dev.livetune.llm.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.llm.tools.ToolCall;
import dev.livetune.llm.tools.ToolCallFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A question whose answer shows whether something was learned ({@code kind} {@code new}: held-out
 * questions about the new knowledge), kept ({@code retention}: what was taught, asked the way it was
 * taught; {@code paraphrase}: earlier learnings asked in held-out forms; {@code general}: what the base
 * model could do) or, for
 * something the tenant asked to forget, is still known ({@code forgotten}: its recall should be 0).
 * It passes when the normalized answer contains the normalized expectation as whole words: both are
 * NFKC-folded, lower-cased, every run of non-letters-or-digits becomes one space, and the
 * expectation must appear between word boundaries ("1999" does not pass for "1").
 *
 *
 * <p>A probe with {@code tools} asks with those functions offered, and {@code expect} is the call the
 * answer must make, {@code {"name": ..., "arguments": {...}}}: it passes when the answer, read in the
 * format the model's chat template defines, holds a call of that name with equal arguments (as JSON).
 *
 * @param question asked as a single user turn
 * @param expect   what the answer must contain, or the call it must make
 * @param kind     {@code new}, {@code retention}, {@code paraphrase}, {@code general} or {@code forgotten}
 * @param tools    the functions offered, as chat templates see them (empty: none)
 */
public record Probe(String question, String expect, String kind, List<Map<String, Object>> tools) {

    public static final List<String> KINDS = List.of("new", "retention", "paraphrase", "general", "forgotten");
    private static final ObjectMapper JSON = new ObjectMapper();

    public Probe {
        tools = List.copyOf(tools);
    }

    public Probe(String question, String expect, String kind) {
        this(question, expect, kind, List.of());
    }

    /** @return whether {@code answer} contains the expectation (a probe without tools) */
    public boolean passes(String answer) {
        String e = normalize(expect);
        return !e.isEmpty() && (" " + normalize(answer) + " ").contains(" " + e + " ");
    }

    /**
     * @param format how the model writes calls (used by a probe with tools; null when it writes none)
     * @return whether {@code answer} makes the expected call, or, without tools, contains the expectation
     */
    public boolean passes(String answer, ToolCallFormat format) {
        if (tools.isEmpty()) {
            return passes(answer);
        }
        if (format == null) {
            return false;
        }
        try {
            JsonNode want = JSON.readTree(expect);
            for (ToolCall c : format.parse(answer).calls()) {
                if (c.name().equals(want.path("name").asText()) && JSON.readTree(c.arguments()).equals(want.path("arguments"))) {
                    return true;
                }
            }
            return false;
        } catch (JsonProcessingException e) {
            return false;
        }
    }

    /** @return the text folded as described above */
    public static String normalize(String text) {
        String folded = Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
        return folded.replaceAll("[^\\p{L}\\p{N}]+", " ").trim();
    }

    /**
     * Reads probes, one JSON object per line.
     *
     * @throws InvalidTrainingInputException naming the line on anything malformed
     */
    public static List<Probe> read(Path file, ObjectMapper json) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidTrainingInputException(file + ": file not found");
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new InvalidTrainingInputException(file + ": not valid UTF-8", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Probe> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            String where = file.getFileName() + " line " + (i + 1) + ": ";
            JsonNode n;
            try {
                n = json.readTree(lines.get(i));
            } catch (JsonProcessingException e) {
                throw new InvalidTrainingInputException(where + "not valid JSON (" + e.getOriginalMessage() + ")");
            }
            if (n == null || !n.isObject() || !n.path("question").isTextual() || !n.path("expect").isTextual()) {
                throw new InvalidTrainingInputException(where + "needs string fields \"question\" and \"expect\"");
            }
            String kind = n.path("kind").asText("new");
            if (!KINDS.contains(kind)) {
                throw new InvalidTrainingInputException(where
                        + "kind must be \"new\", \"retention\", \"paraphrase\", \"general\" or \"forgotten\"");
            }
            List<Map<String, Object>> tools = new ArrayList<>();
            if (n.has("tools")) {
                if (!n.get("tools").isArray() || n.get("tools").isEmpty()) {
                    throw new InvalidTrainingInputException(where + "\"tools\" must be a non-empty array of functions");
                }
                n.get("tools").forEach(t -> tools.add(json.convertValue(t, LinkedHashMap.class)));
                JsonNode call;
                try {
                    call = json.readTree(n.get("expect").asText());
                } catch (JsonProcessingException e) {
                    call = null;
                }
                if (call == null || !call.path("name").isTextual() || !call.path("arguments").isObject()) {
                    throw new InvalidTrainingInputException(where + "with tools, \"expect\" is the call: {\"name\": ...,"
                            + " \"arguments\": {...}} as text");
                }
            } else if (normalize(n.get("expect").asText()).isEmpty()) {
                throw new InvalidTrainingInputException(where + "\"expect\" has no letters or digits to look for");
            }
            out.add(new Probe(n.get("question").asText(), n.get("expect").asText(), kind, tools));
        }
        return out;
    }
}
