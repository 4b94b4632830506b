package dev.livetune.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.function.Consumer;

/**
 * Machine-readable progress: one JSON object per line on stdout, each with an {@code event}
 * ({@code start}, {@code resume}, {@code step}, {@code checkpoint}, {@code eval}, {@code done},
 * {@code error}), so a launcher can relay it; human-readable logs go to stderr.
 */
final class Progress {

    private final ObjectMapper json;
    private final PrintStream out;
    private final PrintStream log;

    Progress(ObjectMapper json, PrintStream out, PrintStream log) {
        this.json = json;
        this.out = out;
        this.log = log;
    }

    void event(String event, Consumer<ObjectNode> fields) {
        ObjectNode o = json.createObjectNode();
        o.put("event", event);
        fields.accept(o);
        synchronized (out) {
            out.println(o);
            out.flush();
        }
    }

    void log(String format, Object... args) {
        log.println("trainer: " + String.format(java.util.Locale.ROOT, format, args));
        log.flush();
    }
}
