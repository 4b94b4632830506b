package dev.livetune.orchestrator;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.augment.AugmentResult;
import dev.livetune.api.augment.AugmentTask;
import dev.livetune.broker.Broker;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jboss.logging.Logger;

/**
 * The orchestrator's side of {@code augment-tasks} / {@code augment-results}: a job's tasks are
 * published with publisher confirms (once: the job records that they were), and results are
 * collected into Redis ({@link AugmentResults}, first result per task wins), acknowledged only once
 * written. Any orchestrator replica may collect a result; the job waits for them to be in Redis (woken
 * by each one collected here), so a restart loses nothing: tasks stay in their durable queue and
 * results already collected stay collected.
 */
@Singleton
public class Augmentation {

    private static final Logger LOG = Logger.getLogger(Augmentation.class);
    /** How long a job waits before looking at Redis again for results another replica collected. */
    private static final Duration LOOK_AGAIN = Duration.ofSeconds(2);

    private final OrchestratorConfig config;
    private final AugmentResults stored;
    private final Redeliveries redeliveries;
    private final Jobs jobs;
    private final Broker broker;
    private final ObjectMapper json = new ObjectMapper();
    private Broker.Subscription results;

    Augmentation(OrchestratorConfig config, AugmentResults stored, Redeliveries redeliveries, Jobs jobs, Broker broker) {
        this.config = config;
        this.stored = stored;
        this.redeliveries = redeliveries;
        this.jobs = jobs;
        this.broker = broker;
    }

    /** Declares the queues and starts collecting results. */
    synchronized void connect() throws IOException {
        broker.declare(config.augmentTasksQueue());
        broker.declare(config.augmentResultsQueue());
        results = broker.consume(config.augmentResultsQueue(), 32, this::collect);
    }

    private void collect(Broker.Delivery delivery) throws IOException {
        AugmentResult result;
        try {
            result = json.readValue(delivery.message().body(), AugmentResult.class);
            if (result.taskId() == null || result.jobId() == null) {
                throw new IllegalArgumentException("no task or job id");
            }
        } catch (Exception e) {
            LOG.warnf("dead-lettering an unreadable augment result: %s", e.getMessage());
            delivery.deadLetter();
            return;
        }
        try {
            stored.put(result.jobId(), result.taskId(), new String(delivery.message().body(), StandardCharsets.UTF_8));
            delivery.ack();
        } catch (RuntimeException e) {
            LOG.warnf("cannot store augment result %s (%s); requeued in a second", result.taskId(), e.getMessage());
            redeliveries.requeueLater(delivery, Duration.ofSeconds(1));
        }
    }

    /**
     * Publishes the job's tasks unless that was done before, then waits for every result.
     *
     * @return the results, in task order
     * @throws JobFailure when they do not all come back within {@code augment-timeout}, or the job is
     *                    cancelled meanwhile
     */
    public List<AugmentResult> run(String jobId, List<AugmentTask> tasks) throws IOException, InterruptedException {
        Map<String, String> job = jobs.get(jobId);
        boolean resumed = job.get("augment_dispatched_at") != null;
        long dispatchedAt;
        if (job.get("augment_dispatched_at") == null) {
            publish(tasks);
            Failpoints.hit("after-dispatch");
            dispatchedAt = System.currentTimeMillis();
            jobs.set(jobId, Map.of("augment_tasks", Integer.toString(tasks.size()), "augment_dispatched_at",
                    Long.toString(dispatchedAt)));
            jobs.event(jobId, "info", "Sent " + tasks.size() + " augmentation task(s) to the workers");
        } else {
            dispatchedAt = Long.parseLong(job.get("augment_dispatched_at"));
        }
        // A job resumed after a long outage first collects what came back meanwhile (the results
        // consumer drains its queue), rather than timing out at once.
        long deadline = dispatchedAt + config.augmentTimeout().toMillis();
        if (resumed) {
            deadline = Math.max(deadline, System.currentTimeMillis() + 60_000);
        }
        try {
            long reported = -1;
            while (true) {
                long mark = stored.mark(jobId);
                long back = stored.count(jobId);
                if (back != reported && back > 0) {
                    reported = back;
                    jobs.event(jobId, "info", "Augmenting: " + back + " of " + tasks.size() + " task(s) done");
                }
                if (back >= tasks.size()) {
                    break;
                }
                if (jobs.cancelRequested(jobId)) {
                    throw new JobFailure("cancelled while augmenting");
                }
                if (System.currentTimeMillis() > deadline) {
                    throw new JobFailure(String.format("augmentation timed out: %d of %d task(s) came back within %s; is "
                            + "augmentation-service consuming %s?", back, tasks.size(), human(config.augmentTimeout()),
                            config.augmentTasksQueue()));
                }
                stored.await(jobId, mark, LOOK_AGAIN);
            }
        } finally {
            stored.done(jobId);
        }
        Map<String, String> all = new TreeMap<>(stored.all(jobId));
        List<AugmentResult> results = new ArrayList<>();
        for (AugmentTask t : tasks) {
            String r = all.get(t.taskId());
            if (r != null) {
                results.add(json.readValue(r, AugmentResult.class));
            }
        }
        return results;
    }

    private void publish(List<AugmentTask> tasks) throws IOException {
        for (AugmentTask t : tasks) {
            broker.publish(config.augmentTasksQueue(), new Broker.Message(json.writeValueAsBytes(t), t.taskId(),
                    config.augmentResultsQueue()));
        }
    }

    private static String human(Duration d) {
        return d.toMinutes() > 0 && d.toSecondsPart() == 0 ? d.toMinutes() + " min" : d.toSeconds() + " s";
    }

    @PreDestroy
    synchronized void close() {
        if (results != null) {
            results.close();
        }
    }
}
