package dev.livetune.orchestrator;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.jboss.logging.Logger;

/**
 * Runs work on a fixed pool of workers, one piece at a time per lane (a tenant's adapter), in the
 * order it was submitted. Work waiting for its lane waits here, not on a worker: a tenant with many
 * jobs for one adapter holds one worker at most, and a lane whose piece ends goes to the back of the
 * pool's queue, so lanes take turns.
 */
final class AdapterLanes {

    private static final Logger LOG = Logger.getLogger(AdapterLanes.class);

    private final ExecutorService workers;
    /** Lanes with a piece on the pool, and what waits behind it. Guarded by {@code this}. */
    private final Map<String, ArrayDeque<Runnable>> waiting = new HashMap<>();

    AdapterLanes(ExecutorService workers) {
        this.workers = workers;
    }

    synchronized void submit(String lane, Runnable work) {
        ArrayDeque<Runnable> behind = waiting.get(lane);
        if (behind != null) {
            behind.add(work);
            return;
        }
        waiting.put(lane, new ArrayDeque<>());
        start(lane, work);
    }

    /** How many pieces wait behind the one running in {@code lane}. */
    synchronized int waiting(String lane) {
        ArrayDeque<Runnable> behind = waiting.get(lane);
        return behind == null ? 0 : behind.size();
    }

    private void start(String lane, Runnable work) {
        try {
            workers.execute(() -> {
                try {
                    work.run();
                } catch (RuntimeException | Error e) {
                    LOG.errorf(e, "work in lane %s ended with %s", lane, e);
                } finally {
                    next(lane);
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.debugf("lane %s not started: the workers are shutting down", lane);
            waiting.remove(lane);
        }
    }

    private synchronized void next(String lane) {
        ArrayDeque<Runnable> behind = waiting.get(lane);
        Runnable work = behind == null ? null : behind.poll();
        if (work == null) {
            waiting.remove(lane);
        } else {
            start(lane, work);
        }
    }
}
