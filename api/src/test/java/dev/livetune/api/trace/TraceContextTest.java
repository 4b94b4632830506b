package dev.livetune.api.trace;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import org.junit.jupiter.api.Test;

/** A trace context written as a {@code traceparent} reads back as the same remote parent; a bad one is no parent. */
class TraceContextTest {

    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String SPAN = "00f067aa0ba902b7";

    @Test
    void aSpansContextTravelsAsItsTraceparent() {
        Span span = Span.wrap(SpanContext.create(TRACE, SPAN, TraceFlags.getSampled(), TraceState.getDefault()));
        assertThat(TraceContext.current()).as("no span, no traceparent").isNull();
        try (Scope scope = span.makeCurrent()) {
            assertThat(TraceContext.current()).isEqualTo("00-" + TRACE + "-" + SPAN + "-01");
        }
        SpanContext parent = Span.fromContext(TraceContext.parent("00-" + TRACE + "-" + SPAN + "-01")).getSpanContext();
        assertThat(parent.isRemote()).isTrue();
        assertThat(parent.getTraceId()).isEqualTo(TRACE);
        assertThat(parent.getSpanId()).isEqualTo(SPAN);
        assertThat(parent.isSampled()).isTrue();
        assertThat(TraceContext.traceId(" 00-" + TRACE + "-" + SPAN + "-00 ")).isEqualTo(TRACE);
    }

    @Test
    void aMissingOrMalformedTraceparentIsNoParent() {
        for (String bad : new String[] {null, "", "garbage", "00-" + TRACE + "-" + SPAN, "00-00000000000000000000000000000000-"
                + SPAN + "-01"}) {
            assertThat(Span.fromContext(TraceContext.parent(bad)).getSpanContext().isValid()).as(String.valueOf(bad)).isFalse();
            assertThat(TraceContext.traceId(bad)).isNull();
        }
        assertThat(TraceContext.of(Context.root())).isNull();
    }
}
