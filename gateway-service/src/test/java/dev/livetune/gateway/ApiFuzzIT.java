package dev.livetune.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Issue 19, must-show 3: the public HTTP API, fuzzed from the OpenAPI document the gateway serves.
 *
 * <p>The packaged gateway runs as a process beside a real inference-service, Redis and RabbitMQ
 * ({@link GatewayStack}). Every operation in its document ({@code /q/openapi} on the management
 * port) is called with requests jqwik generates from the document: bodies that follow the schema,
 * the same with one part broken (a field dropped, a value of the wrong type or size, a field
 * unknown), any JSON, bytes that are not JSON, nothing; odd path and query values; a tenant's key,
 * another tenant's, the admin token, a made-up one or none; wrong content types and methods. No
 * answer may be a 5xx, and every error must be OpenAI's error object. The seed is fixed, so CI sends
 * the same requests every run; {@code -Djqwik.tries.default=100000} sends more.
 */
class ApiFuzzIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final int HTTP_PORT = 8481;
    private static final int MANAGEMENT_PORT = 8482;
    /** Strings a server is likely to treat specially, beside random ones. */
    private static final List<String> TRICKY = List.of("", " ", "default", "livetune-base", "default@v1", "default@v0",
            "default@v99999999999", "a@b@c", "..", "../..", "%2e%2e", "a/b", "null", "true", "0", "-1", "9223372036854775808",
            "NaN", "😀", "\u0000", "ftjob-0", "file-0", "lt-", "Bearer", "<script>", "' OR 1=1 --", "x".repeat(300),
            "Ω".repeat(70));

    private static GatewayStack stack;
    private static Process gateway;
    private static Path log;
    private static HttpClient http;
    private static JsonNode schemas;
    private static List<Operation> operations;
    private static Map<String, String> keys;
    private static final Map<String, Map<Integer, AtomicInteger>> seen = new ConcurrentHashMap<>();
    private static final AtomicInteger sent = new AtomicInteger();

    /** One operation of the document. */
    private record Operation(String method, String path, List<JsonNode> parameters, String mediaType, JsonNode body) {
        boolean admin() {
            return path.startsWith("/admin");
        }
    }

    /** A request to send. */
    record Call(String method, String path, String key, String contentType, byte[] body, String shape, String session) {
        @Override
        public String toString() {
            String shown = body == null ? "" : new String(body, 0, Math.min(body.length, 400), StandardCharsets.UTF_8);
            return method + " " + path + " [" + shape + ", key " + key + ", " + contentType + "] " + shown;
        }
    }

    @BeforeContainer
    static void startTheGateway() throws Exception {
        stack = new GatewayStack();
        Map<String, String> config = new LinkedHashMap<>(stack.start());
        config.put("quarkus.http.port", Integer.toString(HTTP_PORT));
        config.put("quarkus.grpc.server.port", "8483");
        config.put("quarkus.management.port", Integer.toString(MANAGEMENT_PORT));
        config.put("quarkus.otel.sdk.disabled", "true");
        config.put("livetune.gateway.files-dir", Files.createTempDirectory("livetune-fuzz-files").toString());
        String jar = System.getProperty("gateway.jar", "target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException(jar + " is missing: package the gateway first (./mvnw -B verify -pl gateway-service)");
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        config.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("-jar", jar));
        log = Files.createTempFile("livetune-fuzz-gateway", ".log");
        gateway = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        org.awaitility.Awaitility.await("the gateway ready on its management port").atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
                    if (!gateway.isAlive()) {
                        throw new IllegalStateException("the gateway exited; see " + log);
                    }
                    return get(MANAGEMENT_PORT, "/q/health/ready", null).statusCode() == 200;
                });
        JsonNode doc = JSON.readTree(get(MANAGEMENT_PORT, "/q/openapi?format=json", null).body());
        schemas = doc.path("components").path("schemas");
        operations = operations(doc);
        assertThat(operations).as("the document's operations").extracting(o -> o.method() + " " + o.path())
                .contains("POST /v1/chat/completions", "POST /v1/files", "POST /v1/learn", "POST /v1/fine_tuning/jobs",
                        "GET /v1/models/{model}", "DELETE /v1/files/{id}", "PUT /admin/tenants/{tenant}/policy");
        keys = new LinkedHashMap<>();
        keys.put("tenant", key(Keys.tenant()));
        keys.put("other tenant", key(Keys.tenant()));
        keys.put("admin", GatewayStack.ADMIN);
        keys.put("made up", "lt-" + "0".repeat(40));
        keys.put("none", null);
    }

    @AfterContainer
    static void report() throws Exception {
        try {
            StringBuilder table = new StringBuilder(String.format("%-48s %s%n", "operation", "answers by status"));
            new TreeMap<>(seen).forEach((op, byStatus) -> table.append(String.format("%-48s %s%n", op, new TreeMap<>(byStatus))));
            table.append("requests sent: ").append(sent.get()).append('\n');
            System.out.print(table);
            Files.writeString(Path.of("target", "api-fuzz.txt"), table);
            assertThat(sent.get()).as("requests sent (jqwik.tries.default)").isGreaterThanOrEqualTo(10_000);
        } finally {
            if (gateway != null) {
                gateway.destroy();
                gateway.waitFor();
            }
            if (stack != null) {
                stack.stop();
            }
        }
    }

    // Edge cases off: jqwik's would spend most tries on the first and last operation; TRICKY holds the values that matter.
    @Property(seed = "20261207", shrinking = net.jqwik.api.ShrinkingMode.BOUNDED, edgeCases = net.jqwik.api.EdgeCasesMode.NONE)
    void noRequestIsAnsweredWithA5xxAndEveryErrorIsOpenAisErrorObject(@ForAll("calls") Call call) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + HTTP_PORT + call.path()))
                .timeout(Duration.ofSeconds(60))
                .method(call.method(), call.body() == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(call.body()));
        if (call.key() != null && keys.get(call.key()) != null) {
            b.header("Authorization", "Bearer " + keys.get(call.key()));
        }
        if (call.contentType() != null) {
            b.header("Content-Type", call.contentType());
        }
        if (call.session() != null) {
            b.header("X-Session-Id", call.session());
        }
        HttpResponse<String> answer = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        sent.incrementAndGet();
        seen.computeIfAbsent(call.method() + " " + template(call.path()), k -> new ConcurrentHashMap<>())
                .computeIfAbsent(answer.statusCode(), k -> new AtomicInteger()).incrementAndGet();
        assertThat(answer.statusCode()).as("%s\nanswered %s", call, answer.body()).isLessThan(500);
        if (answer.statusCode() >= 400) {
            JsonNode error = JSON.readTree(answer.body()).path("error");
            assertThat(error.path("message").isTextual() && error.path("type").isTextual())
                    .as("%s\nanswered %d with %s: not OpenAI's error object", call, answer.statusCode(), answer.body()).isTrue();
        }
        assertThat(gateway.isAlive()).as("the gateway is still running").isTrue();
    }

    @Provide
    Arbitrary<Call> calls() {
        // operations that take a body are called three times as often: there is more to get wrong
        List<net.jqwik.api.Tuple.Tuple2<Integer, Operation>> weighted = operations.stream()
                .map(op -> net.jqwik.api.Tuple.of(op.body() != null || op.mediaType() != null ? 3 : 1, op)).toList();
        return Arbitraries.frequency(weighted).flatMap(this::call);
    }

    private Arbitrary<Call> call(Operation op) {
        Arbitrary<String> method = Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(19, Arbitraries.just(op.method())),
                net.jqwik.api.Tuple.of(1, Arbitraries.of("GET", "POST", "PUT", "DELETE", "PATCH")));
        Arbitrary<String> key = op.admin()
                ? Arbitraries.frequency(net.jqwik.api.Tuple.of(6, "admin"), net.jqwik.api.Tuple.of(1, "tenant"),
                        net.jqwik.api.Tuple.of(1, "made up"), net.jqwik.api.Tuple.of(1, "none"))
                : Arbitraries.frequency(net.jqwik.api.Tuple.of(8, "tenant"), net.jqwik.api.Tuple.of(1, "other tenant"),
                        net.jqwik.api.Tuple.of(1, "admin"), net.jqwik.api.Tuple.of(1, "made up"), net.jqwik.api.Tuple.of(1, "none"));
        Arbitrary<String> session = Arbitraries.oneOf(Arbitraries.of(TRICKY).filter(ApiFuzzIT::headerSafe),
                Arbitraries.strings().withCharRange('!', '~').ofMaxLength(300)).injectNull(0.5);
        return Combinators.combine(method, path(op), key, body(op), session)
                .as((m, p, k, body, s) -> new Call(m, p, k, body.contentType(), body.bytes(), body.shape(), s));
    }

    /** A body as sent: its bytes, the content type it claims and what it is meant to be. */
    private record Body(String contentType, byte[] bytes, String shape) {
    }

    private Arbitrary<Body> body(Operation op) {
        Arbitrary<String> jsonType = Arbitraries.frequency(net.jqwik.api.Tuple.of(8, "application/json"),
                net.jqwik.api.Tuple.of(1, "text/plain"), net.jqwik.api.Tuple.of(1, "application/json; charset=ISO-8859-1"),
                net.jqwik.api.Tuple.of(1, "")).map(t -> t.isEmpty() ? null : t);
        Arbitrary<Body> junk = Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMaxSize(64).map(b -> new Body("application/json", b, "bytes")),
                anyJson(3).map(j -> new Body("application/json", bytes(j), "any JSON")),
                Arbitraries.just(new Body(null, null, "no body")));
        if (op.mediaType() == null) {
            return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(8, Arbitraries.just(new Body(null, null, "no body"))),
                    net.jqwik.api.Tuple.of(1, junk));
        }
        if (op.mediaType().startsWith("multipart/")) {
            return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(6, multipart()), net.jqwik.api.Tuple.of(1, junk));
        }
        Arbitrary<JsonNode> valid = valid(op.body(), 0);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, Combinators.combine(valid, jsonType).as((j, t) -> new Body(t, bytes(j), "valid"))),
                net.jqwik.api.Tuple.of(5, Combinators.combine(valid.flatMap(ApiFuzzIT::broken), jsonType)
                        .as((j, t) -> new Body(t, bytes(j), "one part broken"))),
                net.jqwik.api.Tuple.of(2, junk));
    }

    private Arbitrary<Body> multipart() {
        Arbitrary<String> name = Arbitraries.oneOf(Arbitraries.of("notes.md", "a.txt", "page.html", "doc.pdf", "x.exe", "",
                "../../etc/passwd", "no-extension", "ü.md"), text());
        Arbitrary<byte[]> content = Arbitraries.oneOf(text().map(s -> s.getBytes(StandardCharsets.UTF_8)),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(256),
                Arbitraries.just("%PDF-1.4 not really".getBytes(StandardCharsets.US_ASCII)));
        Arbitrary<String> purpose = Arbitraries.of("fine-tune", "assistants", "", "none");
        Arbitrary<Boolean> withFile = Arbitraries.frequency(net.jqwik.api.Tuple.of(5, true), net.jqwik.api.Tuple.of(1, false));
        Arbitrary<Boolean> withPurpose = Arbitraries.frequency(net.jqwik.api.Tuple.of(5, true), net.jqwik.api.Tuple.of(1, false));
        return Combinators.combine(name, content, purpose, withFile, withPurpose).as((n, c, p, f, pp) -> {
            String boundary = "fuzzboundary";
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            if (f) {
                out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + n.replace("\"", "")
                        .replace("\r", "").replace("\n", "") + "\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                        .getBytes(StandardCharsets.UTF_8));
                out.writeBytes(c);
                out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            if (pp) {
                out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n" + p + "\r\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
            out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
            return new Body("multipart/form-data; boundary=" + boundary, out.toByteArray(), "multipart");
        });
    }

    private static Arbitrary<String> path(Operation op) {
        List<Arbitrary<String>> parts = new ArrayList<>();
        for (JsonNode p : op.parameters()) {
            String in = p.path("in").asText();
            if (in.equals("path") || in.equals("query")) {
                Arbitrary<String> value = scalar(p.path("schema"));
                parts.add(in.equals("path") ? value.map(v -> "{" + p.path("name").asText() + "}=" + encode(v.isEmpty() ? "x" : v))
                        : Arbitraries.oneOf(Arbitraries.just(""), value.map(v -> "?" + p.path("name").asText() + "=" + encode(v))));
            }
        }
        if (parts.isEmpty()) {
            return Arbitraries.just(op.path());
        }
        return Combinators.combine(parts).as(values -> {
            String path = op.path();
            StringBuilder query = new StringBuilder();
            for (String v : values) {
                if (v.startsWith("{")) {
                    int eq = v.indexOf("}=");
                    path = path.replace(v.substring(0, eq + 1), v.substring(eq + 2));
                } else if (!v.isEmpty()) {
                    query.append(query.length() == 0 ? '?' : '&').append(v.substring(1));
                }
            }
            return path + query;
        });
    }

    /** A value that follows the schema. */
    private static Arbitrary<JsonNode> valid(JsonNode unresolved, int depth) {
        JsonNode schema = resolve(unresolved);
        if (schema.has("oneOf")) {
            List<Arbitrary<JsonNode>> alternatives = new ArrayList<>();
            schema.get("oneOf").forEach(s -> alternatives.add(valid(s, depth)));
            return Arbitraries.oneOf(alternatives);
        }
        if (schema.has("enum")) {
            List<JsonNode> values = new ArrayList<>();
            schema.get("enum").forEach(values::add);
            return Arbitraries.of(values);
        }
        String type = type(schema);
        switch (type) {
            case "object" -> {
                List<Arbitrary<Map.Entry<String, JsonNode>>> fields = new ArrayList<>();
                Iterator<Map.Entry<String, JsonNode>> it = schema.path("properties").fields();
                List<String> required = new ArrayList<>();
                schema.path("required").forEach(r -> required.add(r.asText()));
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> f = it.next();
                    Arbitrary<JsonNode> v0 = f.getKey().equals("model")
                            ? Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(6, Arbitraries.of("livetune-base", "default")
                                    .map(m -> (JsonNode) NODES.textNode(m))), net.jqwik.api.Tuple.of(1, valid(f.getValue(), depth + 1)))
                            : valid(f.getValue(), depth + 1);
                    Arbitrary<Map.Entry<String, JsonNode>> value = v0.map(v -> Map.entry(f.getKey(), v));
                    fields.add(required.contains(f.getKey()) ? value
                            : Arbitraries.oneOf(value, Arbitraries.just(Map.entry("", NODES.missingNode()))));
                }
                if (fields.isEmpty()) {
                    return Arbitraries.just(NODES.objectNode());
                }
                return Combinators.combine(fields).as(entries -> {
                    ObjectNode o = NODES.objectNode();
                    entries.stream().filter(e -> !e.getKey().isEmpty()).forEach(e -> o.set(e.getKey(), e.getValue()));
                    return o;
                });
            }
            case "array" -> {
                int min = schema.path("minItems").asInt(0);
                int max = Math.min(schema.path("maxItems").asInt(3), Math.max(min, 3));
                return valid(schema.path("items"), depth + 1).list().ofMinSize(min).ofMaxSize(max).map(l -> {
                    ArrayNode a = NODES.arrayNode();
                    l.forEach(a::add);
                    return a;
                });
            }
            case "integer" -> {
                long min = schema.path("minimum").asLong(0);
                return Arbitraries.longs().between(min, min + 12).map(NODES::numberNode);
            }
            case "number" -> {
                double min = schema.path("minimum").asDouble(0);
                double max = schema.path("maximum").asDouble(min + 10);
                return Arbitraries.doubles().between(min, max).map(d -> d == 0 && schema.has("exclusiveMinimum") ? 0.5 : d)
                        .map(NODES::numberNode);
            }
            case "boolean" -> {
                return Arbitraries.of(true, false).map(NODES::booleanNode);
            }
            default -> {
                int min = schema.path("minLength").asInt(0);
                return Arbitraries.oneOf(Arbitraries.of("livetune-base", "default", "hello", "What is the capital of Zorbania?"),
                        text()).filter(s -> s.length() >= min).map(NODES::textNode);
            }
        }
    }

    /** The value with one part broken: a member dropped, replaced by any JSON, or an unknown member added. */
    private static Arbitrary<JsonNode> broken(JsonNode value) {
        List<JsonNode> containers = new ArrayList<>();
        collect(value, containers);
        if (containers.isEmpty()) {
            // a bare value: broken is another value altogether
            return anyJson(2);
        }
        return Combinators.combine(Arbitraries.of(containers), Arbitraries.integers().between(0, 2), anyJson(2),
                Arbitraries.integers().between(0, 1000)).as((at, how, replacement, pick) -> {
                    JsonNode copy = value.deepCopy();
                    JsonNode target = find(copy, value, at);
                    if (target instanceof ObjectNode o) {
                        List<String> names = new ArrayList<>();
                        o.fieldNames().forEachRemaining(names::add);
                        if (how == 2 || names.isEmpty()) {
                            o.set("unknown_" + pick, replacement);
                        } else if (how == 0) {
                            o.remove(names.get(pick % names.size()));
                        } else {
                            o.set(names.get(pick % names.size()), replacement);
                        }
                    } else if (target instanceof ArrayNode a) {
                        if (a.isEmpty() || how == 2) {
                            a.add(replacement);
                        } else if (how == 0) {
                            a.remove(pick % a.size());
                        } else {
                            a.set(pick % a.size(), replacement);
                        }
                    }
                    return copy;
                });
    }

    private static void collect(JsonNode node, List<JsonNode> into) {
        if (node.isContainerNode()) {
            into.add(node);
            node.forEach(child -> collect(child, into));
        }
    }

    /** In {@code copy}, the node that is {@code at} in {@code original} (the same shape). */
    private static JsonNode find(JsonNode copy, JsonNode original, JsonNode at) {
        if (original == at) {
            return copy;
        }
        if (original.isObject()) {
            Iterator<String> names = original.fieldNames();
            while (names.hasNext()) {
                String n = names.next();
                JsonNode found = find(copy.get(n), original.get(n), at);
                if (found != null) {
                    return found;
                }
            }
        } else if (original.isArray()) {
            for (int i = 0; i < original.size(); i++) {
                JsonNode found = find(copy.get(i), original.get(i), at);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    /** Any JSON value, extremes included. */
    private static Arbitrary<JsonNode> anyJson(int depth) {
        List<Arbitrary<JsonNode>> leaves = List.of(Arbitraries.just(NODES.nullNode()),
                Arbitraries.of(true, false).map(NODES::booleanNode),
                Arbitraries.longs().map(NODES::numberNode),
                Arbitraries.of(0L, -1L, Long.MAX_VALUE, Long.MIN_VALUE, 4_294_967_296L).map(NODES::numberNode),
                Arbitraries.doubles().map(NODES::numberNode),
                Arbitraries.of(1e308, -1e308, 1e-320, 0.5).map(NODES::numberNode),
                Arbitraries.just((JsonNode) NODES.numberNode(new java.math.BigInteger("123456789012345678901234567890"))),
                text().map(NODES::textNode),
                Arbitraries.just((JsonNode) NODES.textNode("x".repeat(70_000))));
        if (depth == 0) {
            return Arbitraries.oneOf(leaves);
        }
        Arbitrary<JsonNode> array = Arbitraries.lazy(() -> anyJson(depth - 1)).list().ofMaxSize(3).map(l -> {
            ArrayNode a = NODES.arrayNode();
            l.forEach(a::add);
            return a;
        });
        Arbitrary<JsonNode> object = Combinators.combine(Arbitraries.oneOf(text(), Arbitraries.of("model", "messages", "role",
                "content", "stream", "text", "mode")), Arbitraries.lazy(() -> anyJson(depth - 1))).as((k, v) -> {
                    ObjectNode o = NODES.objectNode();
                    o.set(k, v);
                    return (JsonNode) o;
                });
        List<Arbitrary<JsonNode>> all = new ArrayList<>(leaves);
        all.add(array);
        all.add(object);
        return Arbitraries.oneOf(all);
    }

    private static Arbitrary<String> scalar(JsonNode schema) {
        schema = resolve(schema);
        String type = type(schema);
        if (type.equals("integer")) {
            return Arbitraries.oneOf(Arbitraries.integers().between(-5, 200).map(String::valueOf), text());
        }
        if (type.equals("boolean")) {
            return Arbitraries.of("true", "false", "maybe", "");
        }
        return text();
    }

    private static Arbitrary<String> text() {
        return Arbitraries.oneOf(Arbitraries.of(TRICKY), Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(24),
                Arbitraries.strings().all().ofMaxLength(8));
    }

    private static JsonNode resolve(JsonNode schema) {
        while (schema.has("$ref")) {
            String ref = schema.get("$ref").asText();
            schema = schemas.path(ref.substring(ref.lastIndexOf('/') + 1));
        }
        return schema;
    }

    private static String type(JsonNode schema) {
        JsonNode t = schema.path("type");
        if (t.isArray()) {
            return t.get(0).asText();
        }
        return t.isTextual() ? t.asText() : schema.has("properties") ? "object" : "string";
    }

    private static List<Operation> operations(JsonNode doc) {
        List<Operation> ops = new ArrayList<>();
        doc.path("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(m -> {
            JsonNode op = m.getValue();
            List<JsonNode> params = new ArrayList<>();
            path.getValue().path("parameters").forEach(params::add);
            op.path("parameters").forEach(params::add);
            String mediaType = null;
            JsonNode body = null;
            Iterator<Map.Entry<String, JsonNode>> content = op.path("requestBody").path("content").fields();
            if (content.hasNext()) {
                Map.Entry<String, JsonNode> c = content.next();
                mediaType = c.getKey();
                body = c.getValue().path("schema");
            }
            if (!m.getKey().equals("parameters")) {
                ops.add(new Operation(m.getKey().toUpperCase(java.util.Locale.ROOT), path.getKey(), params, mediaType, body));
            }
        }));
        return ops;
    }

    /** The path as the document names it, for the report. */
    private static String template(String path) {
        int q = path.indexOf('?');
        String bare = q < 0 ? path : path.substring(0, q);
        for (Operation op : operations) {
            if (bare.matches(op.path().replaceAll("\\{[^}]+}", "[^/]+"))) {
                return op.path();
            }
        }
        return bare;
    }

    private static boolean headerSafe(String s) {
        return s.chars().allMatch(c -> c >= ' ' && c <= '~');
    }

    private static byte[] bytes(JsonNode j) {
        try {
            return JSON.writeValueAsBytes(j);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String encode(String v) {
        return URLEncoder.encode(v, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String key(String tenant) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + HTTP_PORT + "/admin/tenants/"
                + tenant + "/keys")).header("Authorization", "Bearer " + GatewayStack.ADMIN)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return JSON.readTree(r.body()).path("key").asText();
    }

    private static HttpResponse<String> get(int port, String path, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
