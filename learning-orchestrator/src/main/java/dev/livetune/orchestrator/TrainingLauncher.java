package dev.livetune.orchestrator;

import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

/**
 * The port through which a job trains: {@link LocalTrainingLauncher} runs the trainer as a child
 * process (standalone, one machine); {@link KubernetesTrainingLauncher} creates a {@code TrainingRun}
 * for the training-operator and follows it. Calling it again for the same job continues the same
 * training (the trainer resumes from its checkpoint; the cluster's run is found by name).
 */
public interface TrainingLauncher {

    /** What to train; paths are in the artifact store (the base model in its own directory). */
    record Run(String jobId, String tenant, String adapter, int version, Path base, Path data, Path replay, Path probes,
            Path parentAdapter, Path out, Path hyper) {
    }

    /**
     * Returns once the adapter is written to {@code run.out()}.
     *
     * @param progress told what to show in the job's events
     * @param cancel   polled while it runs; true ends the training
     * @param started  told a local trainer's process id (to end it if the orchestrator dies)
     * @throws JobFailure when the training fails for good, or the job was cancelled
     */
    void train(Run run, Progress progress, BooleanSupplier cancel, LongConsumer started);

    /** Where a training's news goes: the job's events. */
    interface Progress {

        /** Something to show as it is. */
        void message(String text);

        /** A step the trainer reported (about every tenth of the run), with its training loss. */
        void step(int step, int totalSteps, double loss);
    }
}
