package dev.livetune.orchestrator;

import dev.livetune.api.learn.JobPhase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;
import java.time.Duration;

/**
 * Learn jobs in Prometheus terms: {@code livetune_learn_phase_seconds{phase}} (time spent in each
 * phase; {@code releasing} is the release duration), {@code livetune_learn_job_seconds{outcome}}
 * (request to end), {@code livetune_learn_jobs_total{outcome}} and {@code livetune_learn_jobs_active}.
 * No tenant or adapter names as label values.
 */
@Singleton
public class JobMetrics {

    private final MeterRegistry registry;

    JobMetrics(MeterRegistry registry, Redis redis) {
        this.registry = registry;
        Gauge.builder("livetune_learn_jobs_active", redis, r -> {
            try {
                return r.sync().scard("livetune:jobs:active");
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
