package dev.livetune.inference;

import dev.livetune.llm.LanguageModel;
import dev.livetune.llm.generate.ContinuousBatch;
import dev.livetune.llm.generate.GenerationRequest;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The decode loop: one thread owns the {@link ContinuousBatch}. Between steps it admits waiting
 * requests up to {@code maxBatch}; each step advances every running sequence by one token. A
 * request's adapter lease is returned once its sequence has left the batch.
 */
final class Scheduler implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Scheduler.class);

    /** A request, what it holds, and when it was queued ({@link System#nanoTime}). */
    record Job(GenerationRequest request, AdapterRegistry.Lease lease, Runnable onError, long queuedAt) {
        Job(GenerationRequest request, AdapterRegistry.Lease lease, Runnable onError) {
            this(request, lease, onError, System.nanoTime());
        }
    }

    private record Running(Job job, ContinuousBatch.Handle handle) {
    }

    private final ContinuousBatch batch;
    private final BlockingQueue<Job> waiting;
    private final int maxBatch;
    private final InferenceMetrics metrics;
    /** Owned by the decode thread; other threads read {@link #runningCount}. */
    private final List<Running> running = new ArrayList<>();
    private volatile int runningCount;
    /** Accepted and not yet ended (waiting, being admitted or running): what a drain waits for. */
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    private final Thread thread;
    private volatile boolean stopped;

    Scheduler(LanguageModel model, int maxBatch, int maxWaiting, InferenceMetrics metrics) {
        this.batch = new ContinuousBatch(model.decoder(), model.textStreams(), new SplittableRandom());
        this.waiting = new ArrayBlockingQueue<>(maxWaiting);
        this.maxBatch = maxBatch;
        this.metrics = metrics;
        this.thread = new Thread(this::loop, "livetune-decode");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** @return false when the waiting queue is full */
    boolean offer(Job job) {
        if (stopped) {
            return false;
        }
        inFlight.incrementAndGet();
        if (!waiting.offer(job)) {
            inFlight.decrementAndGet();
            return false;
        }
        return true;
    }

    int waiting() {
        return waiting.size();
    }

    int running() {
        return runningCount;
    }

    private void loop() {
        while (!stopped) {
            try {
                List<Job> joining = new ArrayList<>();
                if (running.isEmpty()) {
                    Job first = waiting.poll(100, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        continue;
                    }
                    joining.add(first);
                }
                waiting.drainTo(joining, Math.max(0, maxBatch - running.size() - joining.size()));
                if (!joining.isEmpty()) {
                    long now = System.nanoTime();
                    for (Job j : joining) {
                        metrics.queueTime.record(now - j.queuedAt(), TimeUnit.NANOSECONDS);
                    }
                    admit(joining);
                }
                if (!running.isEmpty()) {
                    batch.step();
                    release();
                }
                runningCount = running.size();
                metrics.running.set(runningCount);
                metrics.kvCachePositions.set(batch.cachedPositions());
                metrics.kvCacheCapacity.set(batch.cacheCapacity());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException | Error e) {
                // A failing step must not take the service down: end what ran, keep serving.
                LOG.error("decode step failed; ending the running requests", e);
                for (Running r : running) {
                    r.job().onError().run();
                    r.job().lease().close();
                    inFlight.decrementAndGet();
                }
                running.clear();
                runningCount = 0;
                batch.close();
            }
        }
    }

    /** Admits requests with one prefill for all of them; one the model refuses is failed alone. */
    private void admit(List<Job> jobs) {
        try {
            List<ContinuousBatch.Handle> handles = batch.admit(jobs.stream().map(Job::request).toList());
            for (int i = 0; i < jobs.size(); i++) {
                running.add(new Running(jobs.get(i), handles.get(i)));
            }
        } catch (IllegalArgumentException e) {
            if (jobs.size() > 1) {
                for (Job j : jobs) {
                    admit(List.of(j));
                }
                return;
            }
            jobs.get(0).onError().run();
            jobs.get(0).lease().close();
            inFlight.decrementAndGet();
        }
        release();
    }

    private void release() {
        for (Iterator<Running> it = running.iterator(); it.hasNext(); ) {
            Running r = it.next();
            if (r.handle().finished()) {
                r.job().lease().close();
                it.remove();
                inFlight.decrementAndGet();
            }
        }
    }

    /** Waits until nothing runs or waits, or the grace period ends. */
    boolean drain(long graceMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + graceMillis;
        while (System.currentTimeMillis() < deadline) {
            if (inFlight.get() == 0) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    @Override
    public void close() {
        stopped = true;
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        batch.close();
    }
}
