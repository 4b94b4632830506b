package dev.livetune.api.trace;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How a learn job's trace crosses the places OpenTelemetry's own instrumentation does not reach: a
 * W3C {@code traceparent} ({@code 00-<trace id>-<span id>-<flags>}) carried in {@code LearnRequest}
 * and {@code AugmentTask}, in the {@link #ANNOTATION} of {@code TrainingRun} and
 * {@code AdapterRelease}, and in the trainer's {@link #ENV} environment variable.
 *
 * <p>The value is what the W3C propagator writes and reads, so it is the same header a client sends
 * to the gateway. A missing or malformed value is no parent at all: tracing never fails a job.
 */
public final class TraceContext {

    /** The annotation on {@code TrainingRun} and {@code AdapterRelease}. */
    public static final String ANNOTATION = "livetune.dev/traceparent";

    /** The environment variable of the trainer process (the OpenTelemetry name for an env carrier). */
    public static final String ENV = "TRACEPARENT";

    private static final String HEADER = "traceparent";

    private static final TextMapSetter<Map<String, String>> SET = Map::put;

    private static final TextMapGetter<String> GET = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(String carrier) {
            return List.of(HEADER);
        }

        @Override
        public String get(String carrier, String key) {
            return HEADER.equals(key) ? carrier : null;
        }
    };

    private TraceContext() {
    }

    /** @return the {@code traceparent} of the current span, or null when there is no valid one */
    public static String current() {
        return of(Context.current());
    }

    /** @return the {@code traceparent} of the span in {@code context}, or null when there is no valid one */
    public static String of(Context context) {
        if (!Span.fromContext(context).getSpanContext().isValid()) {
            return null;
        }
        Map<String, String> carrier = new HashMap<>(2);
        W3CTraceContextPropagator.getInstance().inject(context, carrier, SET);
        return carrier.get(HEADER);
    }

    /** @return a root context holding the remote parent {@code traceparent} names, or the root context */
    public static Context parent(String traceparent) {
        if (traceparent == null || traceparent.isBlank()) {
            return Context.root();
        }
        return W3CTraceContextPropagator.getInstance().extract(Context.root(), traceparent.trim(), GET);
    }

    /**
     * Marks {@code span} failed with {@code error} (recorded as an exception event, and as the
     * span's status); for {@code throw TraceContext.failed(span, e)}.
     *
     * @return {@code error}
     */
    public static <T extends Throwable> T failed(Span span, T error) {
        span.recordException(error);
        span.setStatus(StatusCode.ERROR, String.valueOf(error.getMessage()));
        return error;
    }

    /** @return the trace id in {@code traceparent}, or null when it is missing or malformed */
    public static String traceId(String traceparent) {
        SpanContext parent = Span.fromContext(parent(traceparent)).getSpanContext();
        return parent.isValid() ? parent.getTraceId() : null;
    }
}
