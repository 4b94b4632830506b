package dev.livetune.api.trace;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPInputStream;

/**
 * An OpenTelemetry collector's OTLP/HTTP trace endpoint, as far as the tests need one: it accepts
 * {@code POST /v1/traces} (protobuf, gzip or not) from any process and keeps the spans. The request
 * is read by field number (ExportTraceServiceRequest → ResourceSpans → ScopeSpans → Span) with
 * protobuf's own wire parser, so no generated OTLP classes are needed. In this module's test jar for
 * every module whose tests follow a trace across processes.
 */
public final class OtlpReceiver implements AutoCloseable {

    /** One received span; ids in lower-case hex, attributes as strings. */
    public record Received(String service, String traceId, String spanId, String parentSpanId, String name,
            Map<String, String> attributes) {
    }

    private final HttpServer server;
    private final List<Received> spans = new CopyOnWriteArrayList<>();
    private final List<String> paths = new CopyOnWriteArrayList<>();

    public OtlpReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext("/", exchange -> {
            try (exchange) {
                paths.add(exchange.getRequestURI().getPath());
                byte[] body;
                try (InputStream in = "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))
                        ? new GZIPInputStream(exchange.getRequestBody()) : exchange.getRequestBody()) {
                    body = in.readAllBytes();
                }
                try {
                    spans.addAll(parse(body));
                } catch (InvalidProtocolBufferException e) {
                    exchange.sendResponseHeaders(400, -1);
                    return;
                }
                exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
                exchange.sendResponseHeaders(200, -1);
            }
        });
        server.start();
    }

    /** @return the collector's base URL, as {@code OTEL_EXPORTER_OTLP_ENDPOINT} takes it */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public List<Received> spans(String traceId) {
        return spans.stream().filter(s -> s.traceId().equals(traceId)).toList();
    }

    /** @return every span received so far */
    public List<Received> spans() {
        return List.copyOf(spans);
    }

    /** @return the request paths seen, for a failure message */
    public List<String> paths() {
        return List.copyOf(paths);
    }

    public static List<Received> parse(byte[] request) throws InvalidProtocolBufferException {
        List<Received> out = new ArrayList<>();
        for (ByteString resourceSpans : field(UnknownFieldSet.parseFrom(request), 1)) {
            UnknownFieldSet rs = UnknownFieldSet.parseFrom(resourceSpans);
            String service = "";
            for (ByteString resource : field(rs, 1)) {
                service = attributes(UnknownFieldSet.parseFrom(resource), 1).getOrDefault("service.name", "");
            }
            for (ByteString scopeSpans : field(rs, 2)) {
                for (ByteString span : field(UnknownFieldSet.parseFrom(scopeSpans), 2)) {
                    UnknownFieldSet s = UnknownFieldSet.parseFrom(span);
                    out.add(new Received(service, hex(s, 1), hex(s, 2), hex(s, 4), string(s, 5), attributes(s, 9)));
                }
            }
        }
        return out;
    }

    /** KeyValue (field 9 of Span, 1 of Resource) with string (1), int (3) or double (4) values. */
    private static Map<String, String> attributes(UnknownFieldSet message, int number) throws InvalidProtocolBufferException {
        Map<String, String> out = new LinkedHashMap<>();
        for (ByteString kv : field(message, number)) {
            UnknownFieldSet pair = UnknownFieldSet.parseFrom(kv);
            String key = string(pair, 1);
            for (ByteString any : field(pair, 2)) {
                UnknownFieldSet value = UnknownFieldSet.parseFrom(any);
                if (value.hasField(1)) {
                    out.put(key, string(value, 1));
                } else if (value.hasField(3)) {
                    out.put(key, Long.toString(value.getField(3).getVarintList().get(0)));
                } else if (value.hasField(4)) {
                    out.put(key, Double.toString(Double.longBitsToDouble(value.getField(4).getFixed64List().get(0))));
                }
            }
        }
        return out;
    }

    private static List<ByteString> field(UnknownFieldSet message, int number) {
        return message.hasField(number) ? message.getField(number).getLengthDelimitedList() : List.of();
    }

    private static String string(UnknownFieldSet message, int number) {
        List<ByteString> v = field(message, number);
        return v.isEmpty() ? "" : v.get(0).toStringUtf8();
    }

    private static String hex(UnknownFieldSet message, int number) {
        List<ByteString> v = field(message, number);
        return v.isEmpty() ? "" : HexFormat.of().formatHex(v.get(0).toByteArray());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
