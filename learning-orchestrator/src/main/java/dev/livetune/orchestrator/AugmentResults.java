package dev.livetune.orchestrator;

import dev.livetune.broker.Wakeups;
import io.lettuce.core.ScriptOutputType;
import jakarta.inject.Singleton;
import java.util.Collection;
import java.util.Map;

/**
 * A job's augmentation tasks and their results as they come back. Owner: the orchestrator alone.
 *
 * <ul>
 * <li>{@code livetune:augment-issued:<job>}: the ids of the tasks the job sent, recorded before
 * they are sent;</li>
 * <li>{@code livetune:augment-results:<job>}: one field per task id, the first result for a task
 * kept.</li>
 * </ul>
 * Both are kept seven days. A result is kept only for a task its job sent: one for a task never
 * sent, or for a job that sent none (a worker's mistake, or a worker that forges results), is
 * dropped, so it can neither complete a job early nor fill Redis. A result collected by this replica
 * wakes the job waiting for it at once; one collected by another replica is seen at the next look, a
 * few seconds on at most.
 */
@Singleton
public class AugmentResults {

    private static final String ISSUED = "livetune:augment-issued:";
    private static final String RESULTS = "livetune:augment-results:";
    private static final long KEPT_SECONDS = 7 * 86400;

    /** KEYS: issued, results; ARGV: task id, result, seconds kept. 1 kept, 0 already there, -1 not a task of the job. */
    private static final String PUT = """
            if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return -1 end
            local kept = redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
            redis.call('EXPIRE', KEYS[2], ARGV[3])
            return kept
            """;

    private final Redis redis;
    private final Wakeups arrivals = new Wakeups();

    AugmentResults(Redis redis) {
        this.redis = redis;
    }

    /** Records the tasks a job sends; call before sending them. */
    void issue(String jobId, Collection<String> taskIds) {
        if (taskIds.isEmpty()) {
            return;
        }
        redis.sync().sadd(ISSUED + jobId, taskIds.toArray(String[]::new));
        redis.sync().expire(ISSUED + jobId, KEPT_SECONDS);
    }

    /**
     * Keeps a task's result unless one came back before.
     *
     * @return false when the task is not one its job sent (the result is not kept)
     */
    boolean put(String jobId, String taskId, String result) {
        Long outcome = redis.sync().eval(PUT, ScriptOutputType.INTEGER, new String[] {ISSUED + jobId, RESULTS + jobId}, taskId,
                result, Long.toString(KEPT_SECONDS));
        if (outcome < 0) {
            return false;
        }
        arrivals.wake(jobId);
        return true;
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
