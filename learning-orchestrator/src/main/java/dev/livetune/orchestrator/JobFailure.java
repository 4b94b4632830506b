package dev.livetune.orchestrator;

/** Ends a job as failed, with the reason its clients see. */
public class JobFailure extends RuntimeException {

    public JobFailure(String message) {
        super(message);
    }

    public JobFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
