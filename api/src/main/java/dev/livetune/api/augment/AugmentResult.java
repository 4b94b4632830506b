package dev.livetune.api.augment;

import java.util.List;
import java.util.Map;

/**
 * What a worker made of one {@link AugmentTask}, published on {@code augment-results}.
 *
 * @param schemaVersion 1
 * @param taskId        the task's id (the idempotency key)
 * @param jobId         the task's job
 * @param worker        which worker did it, for logs
 * @param teacher       the teacher that wrote the samples ({@code rules}, {@code self}, {@code openai})
 * @param samples       training pairs that passed the quality filter, each with its provenance
 * @param probes        held-out questions for the new knowledge
 * @param dropped       samples the quality filter dropped, by reason (e.g. {@code prompt-injection})
 * @param notes         things the job's events should say (pages refused, a teacher that fell back)
 * @param error         why the task produced nothing, or null
 */
public record AugmentResult(int schemaVersion, String taskId, String jobId, String worker, String teacher,
        List<Sample> samples, List<Probe> probes, Map<String, Integer> dropped, List<String> notes, String error) {

    public static final int SCHEMA_VERSION = 1;

    /** The default queue name. */
    public static final String QUEUE = "augment-results";

    public AugmentResult {
        samples = samples == null ? List.of() : List.copyOf(samples);
        probes = probes == null ? List.of() : List.copyOf(probes);
        dropped = dropped == null ? Map.of() : Map.copyOf(dropped);
        notes = notes == null ? List.of() : List.copyOf(notes);
    }

    /** A user question and the assistant answer, with where it came from. */
    public record Sample(String question, String answer, Provenance provenance) {
    }

    /**
     * @param requestId the learn request
     * @param source    {@code message}, {@code file:<id>:<name>} or the page's URL
     * @param chunk     the chunk's index in its source
     * @param title     the chunk's heading path, or empty
     */
    public record Provenance(String requestId, String source, int chunk, String title) {
    }

    /**
     * A held-out question whose answer must contain {@code expect}; with {@code tools} (the functions
     * offered, OpenAI's form), {@code expect} is the call the answer must make
     * ({@code {"name": ..., "arguments": {...}}}).
     */
    public record Probe(String question, String expect, com.fasterxml.jackson.databind.JsonNode tools) {
        public Probe {
            // JSON null reads back as NullNode: one "no tools", so that a probe sent equals the one received
            tools = tools == null || tools.isNull() ? null : tools;
        }

        public Probe(String question, String expect) {
            this(question, expect, null);
        }
    }
}
