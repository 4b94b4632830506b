package dev.livetune.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import java.io.PrintStream;
import java.util.function.Consumer;

/**
 * Machine-readable progress: one JSON object per line on stdout, each with an {@code event}
 * ({@code start}, {@code resume}, {@code step}, {@code skipped_step}, {@code checkpoint}, {@code eval},
 * {@code done}, {@code error}), so a launcher can relay it; human-readable logs go to stderr.
 */
final class Progress {

    private final ObjectMapper json;
    private final PrintStream out;
    private final PrintStream log;
    private final Span span;

    Progress(ObjectMapper json, PrintStream out, PrintStream log) {
        this(json, out, log, Span.getInvalid());
    }

    /** @param span also told every event but {@code step}, as a span event with the event's scalar fields */
    Progress(ObjectMapper json, PrintStream out, PrintStream log, Span span) {
        this.json = json;
        this.out = out;
        this.log = log;
        this.span = span;
    }

    void event(String event, Consumer<ObjectNode> fields) {
        ObjectNode o = json.createObjectNode();
        o.put("event", event);
        fields.accept(o);
        synchronized (out) {
            out.println(o);
            out.flush();
        }
        if (!event.equals("step") && span.isRecording()) {
            AttributesBuilder attributes = Attributes.builder();
            o.fields().forEachRemaining(f -> {
                if (f.getValue().isIntegralNumber()) {
                    attributes.put(f.getKey(), f.getValue().asLong());
                } else if (f.getValue().isNumber()) {
                    attributes.put(f.getKey(), f.getValue().asDouble());
                } else if (f.getValue().isValueNode() && !f.getKey().equals("event")) {
                    attributes.put(f.getKey(), f.getValue().asText());
                }
            });
            span.addEvent(event, attributes.build());
        }
    }

    void log(String format, Object... args) {
        log.println("trainer: " + String.format(java.util.Locale.ROOT, format, args));
        log.flush();
    }
}
