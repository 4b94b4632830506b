package dev.livetune.api.learn;

import java.util.List;

/**
 * A request to learn, as the gateway publishes it on {@code learn-requests} (JSON, one per message).
 *
 * @param schemaVersion  1
 * @param requestId      unique per request; also the idempotency key (a redelivery carries the same id)
 * @param jobId          the job id the client was given ({@code ftjob-...})
 * @param tenant         the owning tenant
 * @param adapter        the alias being taught, e.g. {@code default}
 * @param mode           {@code auto} (the orchestrator decides), {@code instruction}, {@code doc}, {@code web},
 *                       {@code forget} (text: what to forget, or a learned item's id) or {@code rollback}
 *                       (text: the version to make live again)
 * @param text           what to learn: the message without its {@code [Learn]} prefix
 * @param fileIds        documents to learn from (document-driven mode)
 * @param sessionId      the chat session it came from, or null
 * @param context        recent turns of that session, oldest first, as {@code role: content} lines
 * @param createdAt      ISO-8601 instant
 * @param traceparent    the W3C trace context of the request that started the job, or null
 *                       ({@link dev.livetune.api.trace.TraceContext})
 */
public record LearnRequest(int schemaVersion, String requestId, String jobId, String tenant, String adapter, String mode,
        String text, List<String> fileIds, String sessionId, List<String> context, String createdAt, String traceparent) {

    public static final int SCHEMA_VERSION = 1;

    /** The exchange and queue name. */
    public static final String QUEUE = "learn-requests";

    public LearnRequest {
        fileIds = fileIds == null ? List.of() : List.copyOf(fileIds);
        context = context == null ? List.of() : List.copyOf(context);
    }
}
