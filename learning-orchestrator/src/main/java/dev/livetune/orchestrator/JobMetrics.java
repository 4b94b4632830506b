package dev.livetune.orchestrator;

import dev.livetune.api.learn.JobPhase;
import dev.livetune.broker.QueueDepths;
import dev.livetune.state.JobStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * Learn jobs in Prometheus terms: {@code livetune_learn_phase_seconds{phase}} (time spent in each
 * phase; {@code releasing} is the release duration), {@code livetune_learn_job_seconds{outcome}}
 * (request to end), {@code livetune_learn_jobs_total{outcome}}, {@code livetune_learn_jobs_active} and
 * {@code livetune_queue_depth{queue}} (learn requests, augmentation tasks and results waiting).
 * No tenant or adapter names as label values.
 */
@Singleton
public class JobMetrics {

    private final MeterRegistry registry;

    JobMetrics(MeterRegistry registry, JobStore jobs, QueueDepths depths, OrchestratorConfig config) {
        this.registry = registry;
        for (String queue : List.of(config.learnQueue(), config.augmentTasksQueue(), config.augmentResultsQueue())) {
            Gauge.builder("livetune_queue_depth", depths, b -> {
                try {
                    return b.depth(queue);
                } catch (IOException | RuntimeException e) {
                    return Double.NaN;
                }
            }).description("Messages waiting in a queue").tag("queue", queue).register(registry);
        }
        Gauge.builder("livetune_learn_jobs_active", jobs, j -> {
            try {
                return j.activeCount();
            } catch (RuntimeException e) {
                return Double.NaN;
            }
        }).description("Learn jobs not yet ended").register(registry);
    }

    void phaseEnded(JobPhase phase, Duration spent) {
        Timer.builder("livetune_learn_phase_seconds").description("Time a learn job spent in a phase")
                .tag("phase", phase.wire()).publishPercentileHistogram().register(registry).record(spent);
    }

    void jobEnded(JobPhase outcome, Duration total) {
        Counter.builder("livetune_learn_jobs_total").description("Learn jobs ended, by outcome")
                .tag("outcome", outcome.wire()).register(registry).increment();
        Timer.builder("livetune_learn_job_seconds").description("A learn job's time from request to end")
                .tag("outcome", outcome.wire()).publishPercentileHistogram().register(registry).record(total);
    }
}
