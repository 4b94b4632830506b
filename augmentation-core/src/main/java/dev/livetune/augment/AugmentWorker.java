package dev.livetune.augment;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.augment.AugmentResult;
import dev.livetune.api.augment.AugmentTask;
import dev.livetune.api.trace.TraceContext;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What a worker on {@code augment-tasks} does with one message, whatever carries it: read the task
 * ({@link #read}: a message that is not a schema-1 task is refused, for its carrier to dead-letter),
 * work it ({@link #work}: a result always comes back, with {@code error} set when the augmenter
 * failed, even with an {@link Error}, which also marks the worker {@linkplain #fatal no longer alive}). The carrier sends the result to the task's reply-to queue and acknowledges the task only
 * once that send is confirmed (augmentation-service's {@code Workers}, a SmallRye channel).
 *
 * <p>Each task is a span, {@code augment <kind>}, in the trace its {@code traceparent} names (the
 * job's augmenting phase).
 */
public final class AugmentWorker {

    private static final Logger LOG = Logger.getLogger(AugmentWorker.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Augmenter augmenter;
    private final Tracer tracer;
    private volatile Error fatal;

    /** A worker that records no spans (trace contexts are not passed on either: results carry none). */
    public AugmentWorker(Augmenter augmenter) {
        this(augmenter, OpenTelemetry.noop().getTracer("livetune-augment"));
    }

    public AugmentWorker(Augmenter augmenter, Tracer tracer) {
        this.augmenter = augmenter;
        this.tracer = tracer;
    }

    /**
     * @return the task in {@code body}
     * @throws IllegalArgumentException when it is not a schema-1 augment task
     */
    public static AugmentTask read(byte[] body) {
        AugmentTask task;
        try {
            task = JSON.readValue(body, AugmentTask.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("not an augment task: " + e.getMessage(), e);
        }
        if (task.schemaVersion() != AugmentTask.SCHEMA_VERSION || task.taskId() == null || task.jobId() == null
                || task.kind() == null || task.text() == null) {
            throw new IllegalArgumentException("not a schema-1 augment task");
        }
        return task;
    }

    /**
     * @return the task's result; a failure of the augmenter is the result's {@code error}
     * @throws InterruptedException when the worker is stopped meanwhile (the task is to go back)
     */
    public AugmentResult work(AugmentTask task) throws InterruptedException {
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
        } catch (Error e) {
            // Out of memory, a stack overflow: the task fails (its job is told at once, rather than waiting on a
            // worker whose channel would close), and this worker reports itself no longer alive (see fatal()).
            LOG.log(Level.SEVERE, "task " + task.taskId() + " hit " + e + "; this worker asks to be restarted", e);
            span.recordException(e);
            fatal = e;
            result = new AugmentResult(AugmentResult.SCHEMA_VERSION, task.taskId(), task.jobId(), null, null, List.of(),
                    List.of(), null, List.of(), "augmentation failed: the worker hit " + e);
        }
        span.setAttribute("livetune.augment.samples", result.samples().size());
        if (result.teacher() != null) {
            span.setAttribute("livetune.augment.teacher", result.teacher());
        }
        if (result.error() != null) {
            span.setStatus(StatusCode.ERROR, result.error());
        }
        span.end();
        return result;
    }

    /**
     * @return the {@link Error} a task hit (out of memory, say), after which this JVM is not to be
     *         trusted and should be restarted; null while none has
     */
    public Error fatal() {
        return fatal;
    }

    /** @return the result as the bytes a message carries */
    public static byte[] bytes(AugmentResult result) {
        try {
            return JSON.writeValueAsBytes(result);
        } catch (IOException e) {
            throw new IllegalStateException("an augment result that cannot be written as JSON", e);
        }
    }
}
