package dev.livetune.api.learn;

/**
 * What happened to a learn job, published on the {@code learn-events} topic exchange (routing key
 * {@code <tenant>.<jobId>}) on every phase change and progress step, so a gateway can stream it.
 * The job's full history stays in Redis; these messages are for watching it live.
 *
 * @param schemaVersion 1
 * @param jobId         the job
 * @param tenant        its tenant
 * @param phase         {@link JobPhase#wire()} at the time
 * @param level         {@code info} or {@code error}
 * @param message       what happened
 * @param createdAt     ISO-8601 instant
 */
public record LearnEvent(int schemaVersion, String jobId, String tenant, String phase, String level, String message,
        String createdAt) {

    /** The topic exchange. */
    public static final String EXCHANGE = "learn-events";
}
