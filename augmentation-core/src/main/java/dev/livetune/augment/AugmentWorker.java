package dev.livetune.augment;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.augment.AugmentResult;
import dev.livetune.api.augment.AugmentTask;
import dev.livetune.api.trace.TraceContext;
import dev.livetune.broker.Broker;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A competing consumer on {@code augment-tasks}: {@code consumers} subscriptions, each with a bounded
 * prefetch, each doing its tasks one at a time. A task's result goes to the queue named in the
 * task's reply-to (else {@code augment-results}), confirmed by the broker, and only then is the task
 * acknowledged, so a worker that dies mid-task leaves it to another. A message that is not a task
 * goes to the dead-letter queue. Works on any {@link Broker}: RabbitMQ in a cluster, in process in
 * standalone.
 *
 * <p>Each task is a span, {@code augment <kind>}, in the trace its {@code traceparent} names (the
 * job's augmenting phase).
 */
public final class AugmentWorker implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(AugmentWorker.class.getName());

    /**
     * @param tasksQueue   where tasks arrive
     * @param resultsQueue where results go when a task names no reply-to queue
     * @param consumers    tasks worked on at once
     * @param prefetch     unacknowledged tasks held per consumer
     */
    public record Settings(String tasksQueue, String resultsQueue, int consumers, int prefetch) {
        public Settings {
            if (consumers < 1 || prefetch < 1) {
                throw new IllegalArgumentException("consumers and prefetch must be at least 1");
            }
        }
    }

    private final Broker broker;
    private final Settings settings;
    private final Augmenter augmenter;
    private final ObjectMapper json = new ObjectMapper();
    private final AtomicLong done = new AtomicLong();
    private final List<Broker.Subscription> subscriptions = new ArrayList<>();
    private final Tracer tracer;

    /** A worker that records no spans (trace contexts are not passed on either: results carry none). */
    public AugmentWorker(Broker broker, Settings settings, Augmenter augmenter) {
        this(broker, settings, augmenter, OpenTelemetry.noop().getTracer("livetune-augment"));
    }

    public AugmentWorker(Broker broker, Settings settings, Augmenter augmenter, Tracer tracer) {
        this.broker = broker;
        this.settings = settings;
        this.augmenter = augmenter;
        this.tracer = tracer;
    }

    /** Declares the queues and starts consuming. */
    public synchronized AugmentWorker start() throws IOException {
        broker.declare(settings.tasksQueue());
        broker.declare(settings.resultsQueue());
        for (int i = 0; i < settings.consumers(); i++) {
            subscriptions.add(broker.consume(settings.tasksQueue(), settings.prefetch(), this::handle));
        }
        return this;
    }

    private void handle(Broker.Delivery delivery) throws IOException, InterruptedException {
        AugmentTask task;
        try {
            task = json.readValue(delivery.message().body(), AugmentTask.class);
            if (task.schemaVersion() != AugmentTask.SCHEMA_VERSION || task.taskId() == null || task.jobId() == null
                    || task.kind() == null || task.text() == null) {
                throw new IllegalArgumentException("not a schema-1 augment task");
            }
        } catch (Exception e) {
            LOG.warning("dead-lettering an unreadable augment task: " + e.getMessage());
            delivery.deadLetter();
            return;
        }
        AugmentResult result;
        Span span = tracer.spanBuilder("augment " + task.kind()).setParent(TraceContext.parent(task.traceparent()))
                .setSpanKind(SpanKind.CONSUMER).setAttribute("livetune.job.id", task.jobId())
                .setAttribute("livetune.task.id", task.taskId()).setAttribute("livetune.tenant", String.valueOf(task.tenant()))
                .startSpan();
        try (Scope scope = span.makeCurrent()) {
            result = augmenter.run(task);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "task " + task.taskId() + " failed", e);
            span.recordException(e);
            result = new AugmentResult(AugmentResult.SCHEMA_VERSION, task.taskId(), task.jobId(), null, null, List.of(),
                    List.of(), null, List.of(), "augmentation failed: " + e);
        }
        span.setAttribute("livetune.augment.samples", result.samples().size());
        if (result.teacher() != null) {
            span.setAttribute("livetune.augment.teacher", result.teacher());
        }
        if (result.error() != null) {
            span.setStatus(StatusCode.ERROR, result.error());
        }
        span.end();
        String replyTo = delivery.message().replyTo();
        // A publish that is not confirmed throws: the task is requeued (a second result for it is ignored).
        broker.publish(replyTo == null || replyTo.isBlank() ? settings.resultsQueue() : replyTo,
                new Broker.Message(json.writeValueAsBytes(result), task.taskId(), null));
        delivery.ack();
        done.incrementAndGet();
    }

    /** @return tasks finished by this worker since it started */
    public long done() {
        return done.get();
    }

    public boolean connected() {
        return broker.healthy();
    }

    /** Stops consuming (unsettled tasks go back to the queue); the broker is its owner's to close. */
    @Override
    public synchronized void close() {
        subscriptions.forEach(Broker.Subscription::close);
        subscriptions.clear();
    }
}
