package dev.livetune.orchestrator;

import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

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
    private final Map<String, AtomicLong> arrivals = new ConcurrentHashMap<>();

    AugmentResults(Redis redis) {
        this.redis = redis;
    }

    /** Keeps a task's result unless one came back before. */
    void put(String jobId, String taskId, String result) {
        redis.sync().hsetnx(RESULTS + jobId, taskId, result);
        redis.sync().expire(RESULTS + jobId, KEPT_SECONDS);
        AtomicLong a = arrivals.get(jobId);
        if (a != null) {
            synchronized (a) {
                a.incrementAndGet();
                a.notifyAll();
            }
        }
    }

    /** @return how many of the job's tasks came back */
    long count(String jobId) {
        return redis.sync().hlen(RESULTS + jobId);
    }

    /** @return task id → result */
    Map<String, String> all(String jobId) {
        return redis.sync().hgetall(RESULTS + jobId);
    }

    /** @return a mark to pass to {@link #await}, taken before looking at {@link #count} */
    long mark(String jobId) {
        return arrivals.computeIfAbsent(jobId, k -> new AtomicLong()).get();
    }

    /** Waits until a result for the job arrives here after {@code mark}, or {@code max} passes. */
    void await(String jobId, long mark, Duration max) throws InterruptedException {
        AtomicLong a = arrivals.computeIfAbsent(jobId, k -> new AtomicLong());
        long until = System.nanoTime() + max.toNanos();
        synchronized (a) {
            while (a.get() == mark) {
                long left = until - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                a.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    /** Forgets the job's wake-ups (its results stay in Redis until they expire). */
    void done(String jobId) {
        arrivals.remove(jobId);
    }
}
