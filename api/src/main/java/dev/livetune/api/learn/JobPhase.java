package dev.livetune.api.learn;

import java.util.Locale;

/**
 * Where a learn job is, persisted with the job so an orchestrator that restarts resumes each job
 * from here. The last three are final.
 */
public enum JobPhase {
    RECEIVED, AUGMENTING, DATASET_READY, TRAINING, EVALUATING, RELEASING, SUCCEEDED, FAILED, CANCELLED;

    /** @return whether the job has ended */
    public boolean isFinal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    /** @return the status a client sees in OpenAI's fine-tuning shape */
    public String openAiStatus() {
        return switch (this) {
            case RECEIVED -> "queued";
            case AUGMENTING, DATASET_READY -> "validating_files";
            case TRAINING, EVALUATING, RELEASING -> "running";
            case SUCCEEDED -> "succeeded";
            case FAILED -> "failed";
            case CANCELLED -> "cancelled";
        };
    }

    /** @return the stored form */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static JobPhase ofWire(String s) {
        return valueOf(s.toUpperCase(Locale.ROOT));
    }
}
