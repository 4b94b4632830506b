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
 * @param signature      the gateway's HMAC over the rest ({@link #signed}); an orchestrator that holds
 *                       the secret runs no request without a valid one, so no other user of the broker
 *                       (an augmentation worker parsing hostile pages) can teach a tenant's model
 * @param options        what a fine-tuning job's client chose for its training; null: all auto
 */
public record LearnRequest(int schemaVersion, String requestId, String jobId, String tenant, String adapter, String mode,
        String text, List<String> fileIds, String sessionId, List<String> context, String createdAt, String traceparent,
        String signature, TrainingOptions options) {

    public static final int SCHEMA_VERSION = 1;

    /** The exchange and queue name. */
    public static final String QUEUE = "learn-requests";

    public LearnRequest {
        fileIds = fileIds == null ? List.of() : List.copyOf(fileIds);
        context = context == null ? List.of() : List.copyOf(context);
        options = options == null ? TrainingOptions.AUTO : options;
    }

    /** A request with every training choice left to livetune. */
    public LearnRequest(int schemaVersion, String requestId, String jobId, String tenant, String adapter, String mode,
            String text, List<String> fileIds, String sessionId, List<String> context, String createdAt, String traceparent,
            String signature) {
        this(schemaVersion, requestId, jobId, tenant, adapter, mode, text, fileIds, sessionId, context, createdAt, traceparent,
                signature, TrainingOptions.AUTO);
    }

    /** An unsigned request (a test's, or from a gateway without a secret). */
    public LearnRequest(int schemaVersion, String requestId, String jobId, String tenant, String adapter, String mode,
            String text, List<String> fileIds, String sessionId, List<String> context, String createdAt, String traceparent) {
        this(schemaVersion, requestId, jobId, tenant, adapter, mode, text, fileIds, sessionId, context, createdAt, traceparent,
                null, TrainingOptions.AUTO);
    }

    /** @return this request with the client's training choices */
    public LearnRequest withOptions(TrainingOptions chosen) {
        return new LearnRequest(schemaVersion, requestId, jobId, tenant, adapter, mode, text, fileIds, sessionId, context,
                createdAt, traceparent, signature, chosen);
    }

    /** @return this request with the mode the orchestrator resolved (the signature covers the mode sent) */
    public LearnRequest withMode(String resolved) {
        return new LearnRequest(schemaVersion, requestId, jobId, tenant, adapter, resolved, text, fileIds, sessionId, context,
                createdAt, traceparent, signature, options);
    }

    /** @return this request signed with {@code secret} (HMAC-SHA256 over every other field) */
    public LearnRequest signed(String secret) {
        return new LearnRequest(schemaVersion, requestId, jobId, tenant, adapter, mode, text, fileIds, sessionId, context,
                createdAt, traceparent, mac(secret), options);
    }

    /** @return whether the request carries a valid signature of {@code secret} */
    public boolean signedWith(String secret) {
        return signature != null && java.security.MessageDigest.isEqual(
                signature.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                mac(secret).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    private String mac(String secret) {
        StringBuilder in = new StringBuilder("livetune learn-request v1");
        for (Object field : new Object[] {schemaVersion, requestId, jobId, tenant, adapter, mode, text, sessionId, createdAt,
                traceparent}) {
            in.append('\u0000').append(field == null ? "\u0001" : field.toString());
        }
        for (List<String> list : List.of(fileIds, context)) {
            in.append('\u0002').append(list.size());
            list.forEach(item -> in.append('\u0000').append(item));
        }
        if (!options.auto()) {
            // after the rest, so a request without choices signs as it did before they existed
            in.append('\u0003').append(options);
        }
        try {
            javax.crypto.Mac hmac = javax.crypto.Mac.getInstance("HmacSHA256");
            hmac.init(new javax.crypto.spec.SecretKeySpec(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    "HmacSHA256"));
            return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                    hmac.doFinal(in.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JRE", e);
        }
    }
}
