package dev.livetune.trainer;

/** What the trainer's exit status tells a Job controller (the numbers of BSD's sysexits.h). */
public final class ExitCodes {

    /** Finished: the output directory is complete. */
    public static final int OK = 0;
    /** Invalid input (bad arguments, dataset line, hyperparameter, or an adapter that does not fit): never retry. */
    public static final int INVALID_INPUT = 64;
    /** An unexpected internal error: a bug; retrying may or may not help. */
    public static final int SOFTWARE = 70;
    /** A transient failure (I/O, memory, interrupted): safe to retry; a retry resumes from the last checkpoint. */
    public static final int TRANSIENT = 75;

    private ExitCodes() {
    }
}
