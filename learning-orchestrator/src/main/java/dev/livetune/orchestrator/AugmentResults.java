package dev.livetune.orchestrator;

import dev.livetune.broker.Wakeups;
import jakarta.inject.Singleton;
import java.util.Map;

/**
 * A job's augmentation results as they come back: {@code livetune:augment-results:<job>} in Redis,
 * one field per task id, the first result for a task kept, for seven days. Owner: the orchestrator
 * alone. A result collected by this replica wakes the job waiting for it at once; one collected by
 * another replica is seen at the next look, a few seconds on at most.
 */
@Singleton
public class AugmentResults {

    private static final String RESULTS = "livetune:augment-results:";
    private static final long KEPT_SECONDS = 7 * 86400;

    private final Redis redis;
    private final Wakeups arrivals = new Wakeups();

    AugmentResults(Redis redis) {
        this.redis = redis;
    }

    /** Keeps a task's result unless one came back before. */
    void put(String jobId, String taskId, String result) {
        redis.sync().hsetnx(RESULTS + jobId, taskId, result);
        redis.sync().expire(RESULTS + jobId, KEPT_SECONDS);
        arrivals.wake(jobId);
    }

    /** @return how many of the job's tasks came back */
    long count(String jobId) {
        return redis.sync().hlen(RESULTS + jobId);
    }

    /** @return task id → result */
    Map<String, String> all(String jobId) {
        return redis.sync().hgetall(RESULTS + jobId);
    }

    /**
     * Starts watching for the job's results collected here: take a mark before looking at
     * {@link #count}, await it after; close when the job stops waiting.
     */
    Wakeups.Watch watch(String jobId) {
        return arrivals.watch(jobId);
    }
}
