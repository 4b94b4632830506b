package dev.livetune.api.augment;

import java.util.List;

/**
 * One unit of augmentation work, as the orchestrator publishes it on {@code augment-tasks} (JSON, one
 * per message). Workers compete for tasks; each answers with one {@link AugmentResult} carrying the
 * same {@code taskId}, which is also the idempotency key: a task delivered twice yields two results
 * with one id, and the orchestrator keeps the first.
 *
 * @param schemaVersion  1
 * @param taskId         {@code <jobId>/<n>}, unique per task
 * @param jobId          the learn job it belongs to
 * @param requestId      the learn request the content came from (a coalesced job has several)
 * @param tenant         the owning tenant; the {@code self} teacher asks this tenant's model
 * @param adapter        the alias being taught
 * @param kind           {@link #STATEMENTS}, {@link #CHUNK} or {@link #WEB}
 * @param text           the statements, the chunk's text, or the web query
 * @param context        recent session turns for statements ({@code role: content} lines), else empty
 * @param source         where the text came from: {@code message}, a file id and name, or {@code web}
 * @param title          the chunk's heading path, or empty
 * @param chunk          the chunk's index in its source, 0 for statements and web queries
 * @param samplesPerFact how many training pairs to aim for per statement (per chunk for documents)
 * @param traceparent    the W3C trace context of the job's augmenting phase, or null
 *                       ({@link dev.livetune.api.trace.TraceContext})
 * @param callerToken    a token for inference-service's {@code Generate}, for this task's tenant only
 *                       ({@link dev.livetune.api.auth.CallerTokens}; the {@code self} teacher sends it), or
 *                       null where Generate needs none
 */
public record AugmentTask(int schemaVersion, String taskId, String jobId, String requestId, String tenant, String adapter,
        String kind, String text, List<String> context, String source, String title, int chunk, int samplesPerFact,
        String traceparent, String callerToken) {

    public static final int SCHEMA_VERSION = 1;

    /** The default queue name. */
    public static final String QUEUE = "augment-tasks";

    /** Facts, preferences or skills stated in a message: self-instruct. */
    public static final String STATEMENTS = "statements";

    /** A document chunk: instruction backtranslation. */
    public static final String CHUNK = "chunk";

    /** A topic or question: search, fetch, extract, chunk, backtranslate. */
    public static final String WEB = "web";

    public AugmentTask {
        context = context == null ? List.of() : List.copyOf(context);
        title = title == null ? "" : title;
    }
}
