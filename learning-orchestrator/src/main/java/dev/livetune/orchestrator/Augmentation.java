package dev.livetune.orchestrator;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.augment.AugmentResult;
import dev.livetune.api.augment.AugmentTask;
import dev.livetune.broker.InProcessConnector;
import dev.livetune.broker.Wakeups;
import dev.livetune.broker.WorkQueues;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.rabbitmq.OutgoingRabbitMQMetadata;
import io.smallrye.reactive.messaging.rabbitmq.RabbitMQRejectMetadata;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.jboss.logging.Logger;

/**
 * The orchestrator's side of {@code augment-tasks} / {@code augment-results} (SmallRye channels
 * {@code augment-tasks-out} and {@code augment-results}): a job's tasks are published with publisher
 * confirms (once: the job records that they were), each naming {@code augment-results} as its
 * reply-to, after the task queue is declared as the workers declare it ({@link WorkQueues}).
 * Results are collected into Redis ({@link AugmentResults}: only for tasks the job sent, the first
 * result per task wins), acknowledged
 * only once written; while Redis is away a result is kept and written a second later. Any
 * orchestrator replica may collect a result; the job waits for them to be in Redis (woken by each one
 * collected here), so a restart loses nothing: tasks stay in their durable queue and results already
 * collected stay collected.
 */
@Singleton
public class Augmentation {

    private static final Logger LOG = Logger.getLogger(Augmentation.class);
    /** How long a job waits before looking at Redis again for results another replica collected. */
    private static final Duration LOOK_AGAIN = Duration.ofSeconds(2);
    private static final Duration RETRY = Duration.ofSeconds(1);
    private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(30);

    private final OrchestratorConfig config;
    private final AugmentResults stored;
    private final Redeliveries redeliveries;
    private final Jobs jobs;
    private final MutinyEmitter<byte[]> tasks;
    private final ObjectMapper json = new ObjectMapper();
    /** Redis work off the messaging threads, in arrival order. */
    private final ExecutorService collector = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "augment-results");
        t.setDaemon(true);
        return t;
    });

    Augmentation(OrchestratorConfig config, AugmentResults stored, Redeliveries redeliveries, Jobs jobs,
            @Channel("augment-tasks-out") MutinyEmitter<byte[]> tasks) {
        this.config = config;
        this.stored = stored;
        this.redeliveries = redeliveries;
        this.jobs = jobs;
        this.tasks = tasks;
    }

    @Incoming("augment-results")
    CompletionStage<Void> collect(Message<byte[]> message) {
        return CompletableFuture.supplyAsync(() -> store(message), collector).thenCompose(settled -> settled)
                .exceptionally(e -> {
                    LOG.debugf("settling an augment result failed (%s); the broker delivers it again", e.toString());
                    return null;
                });
    }

    private CompletionStage<Void> store(Message<byte[]> message) {
        byte[] body = InProcessConnector.bytes(message.getPayload());
        AugmentResult result;
        try {
            result = json.readValue(body, AugmentResult.class);
            if (result.taskId() == null || result.jobId() == null) {
                throw new IllegalArgumentException("no task or job id");
            }
        } catch (Exception e) {
            LOG.warnf("dead-lettering an unreadable augment result: %s", e.getMessage());
            return message.nack(e, Metadata.of(new RabbitMQRejectMetadata(false)));
        }
        try {
            if (!stored.put(result.jobId(), result.taskId(), new String(body, StandardCharsets.UTF_8))) {
                LOG.warnf("dropping an augment result for task %s of job %s from worker %s: the job sent no such task",
                        result.taskId(), result.jobId(), result.worker());
            }
            return message.ack();
        } catch (RuntimeException e) {
            LOG.warnf("cannot store augment result %s (%s); trying again in %s", result.taskId(), e.getMessage(), RETRY);
            return redeliveries.later(RETRY, () -> store(message), collector);
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
            stored.issue(jobId, tasks.stream().map(AugmentTask::taskId).toList());
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
        try (Wakeups.Watch arrivals = stored.watch(jobId)) {
            long reported = -1;
            while (true) {
                long mark = arrivals.mark();
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
                arrivals.await(mark, LOOK_AGAIN);
            }
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

    private void publish(List<AugmentTask> list) throws IOException {
        WorkQueues.declare(config.rabbitmqUri(), config.augmentTasksQueue(), CONFIRM_TIMEOUT);
        for (AugmentTask t : list) {
            try {
                tasks.sendMessage(Message.of(json.writeValueAsBytes(t), Metadata.of(OutgoingRabbitMQMetadata.builder()
                        .withMessageId(t.taskId()).withReplyTo(config.augmentResultsQueue())
                        .withContentType("application/json").build()))).await().atMost(CONFIRM_TIMEOUT);
            } catch (RuntimeException e) {
                throw new IOException("augment task " + t.taskId() + " not confirmed by the broker: " + e, e);
            }
        }
    }

    private static String human(Duration d) {
        return d.toMinutes() > 0 && d.toSecondsPart() == 0 ? d.toMinutes() + " min" : d.toSeconds() + " s";
    }

    @PreDestroy
    void close() {
        collector.shutdownNow();
    }
}
