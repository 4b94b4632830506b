package dev.livetune.llm.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

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
 * @param question asked as a single user turn
 * @param expect   what the answer must contain
 * @param kind     {@code new}, {@code retention}, {@code paraphrase}, {@code general} or {@code forgotten}
 */
public record Probe(String question, String expect, String kind) {

    public static final List<String> KINDS = List.of("new", "retention", "paraphrase", "general", "forgotten");

    /** @return whether {@code answer} contains the expectation */
    public boolean passes(String answer) {
        String e = normalize(expect);
        return !e.isEmpty() && (" " + normalize(answer) + " ").contains(" " + e + " ");
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
            if (normalize(n.get("expect").asText()).isEmpty()) {
                throw new InvalidTrainingInputException(where + "\"expect\" has no letters or digits to look for");
            }
            out.add(new Probe(n.get("question").asText(), n.get("expect").asText(), kind));
        }
        return out;
    }
}
