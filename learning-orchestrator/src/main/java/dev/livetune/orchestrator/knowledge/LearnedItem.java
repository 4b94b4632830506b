package dev.livetune.orchestrator.knowledge;

import java.util.List;
import java.util.Locale;

/**
 * One thing a tenant taught an adapter alias: a stated fact, a document chunk or a web page, with the
 * training samples and probes made from it and where it came from. Versions are trained from the
 * alias's live items, so each of them is kept.
 *
 * @param id           stable id ({@code <job id>-<task number>}), the same when a job is resumed
 * @param tenant       the tenant
 * @param adapter      the alias it was taught to
 * @param kind         what it came from
 * @param text         the statement, or the chunk's or page's text as the worker was given it
 * @param subject      what it is about, for facts: a later item with the same subject is a correction
 *                     and supersedes it; {@code null} for documents and pages
 * @param status       where it stands
 * @param jobId        the learn job that taught it
 * @param requestId    the learn request it came from
 * @param source       {@code message}, {@code file:<id>:<name>} or the page's URL
 * @param version      the first version that holds it, {@code 0} while pending
 * @param replacedBy   the item that superseded it (retired) or the job that removed it (forgotten), else null
 * @param samples      its training samples, chat JSONL lines
 * @param probes       held-out questions (never trained on), each expecting what the item states
 * @param taught       for each thing the item states, the question it was first taught with, expecting its
 *                     answer: what the eval gate asks after every later run (retention); empty in items
 *                     recorded before it was kept, whose retention probes come from their samples
 */
public record LearnedItem(String id, String tenant, String adapter, Kind kind, String text, String subject, Status status,
        String jobId, String requestId, String source, int version, String replacedBy, List<String> samples,
        List<Probe> probes, List<Probe> taught) {

    public LearnedItem {
        samples = List.copyOf(samples);
        probes = List.copyOf(probes);
        taught = taught == null ? List.of() : List.copyOf(taught);
    }

    /** What an item was learned from. */
    public enum Kind {
        FACT, DOCUMENT, WEB;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Where an item stands. */
    public enum Status {
        /** Taught by a job that has not been released. Transitions to LIVE when it is; stays when it fails (never replayed). */
        PENDING,
        /** In the live version: replayed and probed in every later version. Transitions to RETIRED or FORGOTTEN. */
        LIVE,
        /** Superseded by a correction about the same subject: neither replayed nor probed. Final. */
        RETIRED,
        /** Removed by the tenant ({@code [Forget]} or the API): later versions are trained without it. Final. */
        FORGOTTEN;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * A question whose answer must contain {@code expect}; with {@code tools} (the functions offered),
     * the call it must make ({@code {"name": ..., "arguments": {...}}}).
     */
    public record Probe(String question, String expect, com.fasterxml.jackson.databind.JsonNode tools) {
        public Probe {
            // JSON null reads back as NullNode: one "no tools", so that a stored probe equals its original
            tools = tools == null || tools.isNull() ? null : tools;
        }

        public Probe(String question, String expect) {
            this(question, expect, null);
        }
    }

    /** @return this item in another status */
    public LearnedItem with(Status newStatus, int newVersion, String newReplacedBy) {
        return new LearnedItem(id, tenant, adapter, kind, text, subject, newStatus, jobId, requestId, source, newVersion,
                newReplacedBy, samples, probes, taught);
    }

    /** @return the subject key of a fact, from its first probe: case, spacing and punctuation ignored */
    public static String subjectOf(List<Probe> probes) {
        if (probes.isEmpty()) {
            return null;
        }
        return probes.get(0).question().toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]+", " ").strip();
    }
}
