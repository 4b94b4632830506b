package dev.livetune.trainer;

import dev.livetune.api.trace.TraceContext;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The trainer's one span, {@code train}, sent over OTLP/HTTP when the environment names a collector
 * ({@code OTEL_EXPORTER_OTLP_ENDPOINT}, or {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT} for the full
 * URL) and a child of {@code TRACEPARENT} when that is set, as the orchestrator (local runs) and the
 * operator (training Jobs) set it. Without a collector the span is not recorded at all.
 *
 * <p>Closing ends the span and waits (a few seconds at most) for it to be sent, since the process
 * exits right after.
 */
final class TrainerTrace implements AutoCloseable {

    private static final Duration FLUSH = Duration.ofSeconds(5);

    private final SdkTracerProvider provider;
    private final Span span;

    private TrainerTrace(SdkTracerProvider provider, Span span) {
        this.provider = provider;
        this.span = span;
    }

    static TrainerTrace start(Map<String, String> env, String name) {
        String traces = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
        String base = env.get("OTEL_EXPORTER_OTLP_ENDPOINT");
        if ((traces == null || traces.isBlank()) && (base == null || base.isBlank())) {
            return new TrainerTrace(null, Span.wrap(Span.fromContext(TraceContext.parent(env.get(TraceContext.ENV)))
                    .getSpanContext()));
        }
        String endpoint = traces != null && !traces.isBlank() ? traces : base.replaceAll("/+$", "") + "/v1/traces";
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"),
                        env.getOrDefault("OTEL_SERVICE_NAME", "livetune-trainer")))))
                .addSpanProcessor(BatchSpanProcessor.builder(OtlpHttpSpanExporter.builder().setEndpoint(endpoint)
                        .setTimeout(FLUSH).build()).build())
                .build();
        Span span = provider.get("dev.livetune.trainer").spanBuilder(name)
                .setParent(TraceContext.parent(env.get(TraceContext.ENV))).setSpanKind(SpanKind.INTERNAL).startSpan();
        return new TrainerTrace(provider, span);
    }

    /** The span (a non-recording one carrying the parent's context when nothing is exported). */
    Span span() {
        return span;
    }

    void failed(int exitCode, String message) {
        span.setAttribute("livetune.trainer.exit_code", exitCode);
        span.setStatus(StatusCode.ERROR, message);
    }

    @Override
    public void close() {
        span.end();
        if (provider != null) {
            provider.shutdown().join(FLUSH.toMillis(), TimeUnit.MILLISECONDS);
        }
    }
}
