package dev.livetune.standalone;

import dev.livetune.broker.Brokers;
import dev.livetune.broker.InProcessConnector;
import dev.livetune.gateway.ApiKeys;
import dev.livetune.state.AdapterStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.quarkus.runtime.Quarkus;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code livetune up}: takes the data directory, builds the starter model if it is needed, starts
 * the embedded Redis, points every role's configuration at this JVM (the in-process broker, the
 * embedded Redis, one gRPC listener, the local trainer) and runs them until stopped.
 */
final class Up {

    /** The tenant whose key {@code up} prints. */
    static final String TENANT = "default";

    /** Set by {@link #run} for {@link Serve}, which runs inside Quarkus. */
    static volatile Serve.Plan plan;

    private Up() {
    }

    static int run(Settings s, String[] args) throws Exception {
        Files.createDirectories(s.dataDir());
        try (FileChannel lockFile = FileChannel.open(s.dataDir().resolve(".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock lock = lockFile.tryLock()) {
            if (lock == null) {
                throw new Settings.Invalid("another livetune is running with the data directory " + s.dataDir()
                        + "; stop it, or give this one its own LIVETUNE_DATA_DIR");
            }
            requireFree(s.host(), s.httpPort(), "LIVETUNE_HTTP_PORT");
            requireFree(s.host(), s.grpcPort(), "LIVETUNE_GRPC_PORT");
            Path trainer = s.requireTrainerJar();
            int threads = Runtime.getRuntime().availableProcessors();
            Path model = s.modelDir().isPresent() ? s.modelDir().get()
                    : StarterModel.ensure(s.dataDir().resolve("models/starter"), trainer, threads);
            stopOrphanedRedis(s.dataDir().resolve("redis"));
            try (EmbeddedRedis redis = EmbeddedRedis.start(s.dataDir().resolve("redis"))) {
                Thread stopRedis = new Thread(redis::close, "embedded-redis-stop");
                Runtime.getRuntime().addShutdownHook(stopRedis);
                String key = apiKey(s);
                List<String> live = liveAdapters(redis.uri());
                configure(s, model, trainer, redis.uri(), live);
                if (s.modelDir().isEmpty()) {
                    System.setProperty("livetune.orchestrator.general-data", StarterModel.generalData(model).toString());
                }
                plan = new Serve.Plan(s, TENANT, key, s.modelDir().isPresent() ? model.toString() : "starter (" + model + ")",
                        live);
                AtomicInteger exit = new AtomicInteger();
                Quarkus.run(Serve.class, (code, failure) -> {
                    exit.set(code);
                    if (failure != null) {
                        failure.printStackTrace();
                    }
                }, args);
                return exit.get();
            }
        }
    }

    private static void requireFree(String host, int port, String variable) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
        } catch (IOException e) {
            throw new Settings.Invalid("port " + port + " on " + host + " is in use (" + e.getMessage() + "); set "
                    + variable + " to a free one");
        }
    }

    /** A redis-server left running by a livetune that was killed outright would share our files: stop it. */
    private static void stopOrphanedRedis(Path dir) throws IOException {
        Path pidFile = dir.resolve("redis.pid");
        if (!Files.isRegularFile(pidFile)) {
            return;
        }
        try {
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            ProcessHandle.of(pid).filter(p -> p.info().command().map(c -> c.contains("redis-server")).orElse(false))
                    .ifPresent(p -> {
                        p.destroy();
                        p.onExit().join();
                    });
        } catch (NumberFormatException e) {
            // not ours to read; redis rewrites it
        }
        Files.deleteIfExists(pidFile);
    }

    /** LIVETUNE_API_KEY, else the key kept in the data directory, else a new one kept there (owner-only). */
    private static String apiKey(Settings s) throws IOException {
        Path file = s.apiKeyFile();
        String key = s.apiKey().orElse(null);
        if (key == null && Files.isRegularFile(file)) {
            key = Files.readString(file, StandardCharsets.US_ASCII).strip();
        }
        if (key == null) {
            key = ApiKeys.generate();
        }
        if (!key.matches("lt-[0-9a-f]{16}-[A-Za-z0-9_-]{43}")) {
            throw new Settings.Invalid("LIVETUNE_API_KEY must look like lt-<16 hex digits>-<43 base64url characters> "
                    + "(leave it unset and livetune makes one)");
        }
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, key + "\n", StandardCharsets.US_ASCII);
        return key;
    }

    /** Every live adapter version the orchestrator recorded ({@code tenant/alias@vN}), for inference to load at startup. */
    private static List<String> liveAdapters(String redisUri) {
        RedisClient client = RedisClient.create(redisUri);
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            List<String> out = new ArrayList<>();
            new AdapterStore(c::sync).allLive().forEach(live -> out.add(live.toString()));
            return out;
        } finally {
            client.shutdown();
        }
    }

    /** System properties outrank every application.properties, the services' included. */
    private static void configure(Settings s, Path model, Path trainer, String redisUri, List<String> live) {
        byte[] token = new byte[24];
        new SecureRandom().nextBytes(token);
        String adminToken = HexFormat.of().formatHex(token);
        new SecureRandom().nextBytes(token);
        String generateSecret = HexFormat.of().formatHex(token);
        String broker = Brokers.IN_PROCESS + "livetune";
        Path artifacts = s.dataDir().resolve("artifacts");
        Path files = s.dataDir().resolve("files");
        String loopback = s.clientHost();
        Map<String, Object> p = new java.util.LinkedHashMap<>();
        p.put("quarkus.http.host", s.host());
        p.put("quarkus.http.port", s.httpPort());
        p.put("quarkus.grpc.server.host", s.host());
        p.put("quarkus.grpc.server.port", s.grpcPort());
        p.put("quarkus.grpc.clients.inference.host", loopback);
        p.put("quarkus.grpc.clients.inference.port", s.grpcPort());
        p.put("quarkus.log.file.path", s.dataDir().resolve("livetune.log"));
        for (String role : List.of("gateway", "orchestrator")) {
            p.put("livetune." + role + ".inference-host", loopback);
            p.put("livetune." + role + ".inference-port", s.grpcPort());
        }
        for (String role : List.of("gateway", "orchestrator", "augment")) {
            p.put("livetune." + role + ".rabbitmq-uri", broker);
        }
        // The services' SmallRye channels, on the in-process broker too.
        p.put("mp.messaging.connector." + InProcessConnector.NAME + ".broker", broker);
        for (String channel : List.of("learn-requests-out", "learn-events-out", "augment-tasks-out", "augment-results-out")) {
            p.put("mp.messaging.outgoing." + channel + ".connector", InProcessConnector.NAME);
        }
        for (String channel : List.of("learn-requests", "learn-events", "augment-tasks", "augment-results")) {
            p.put("mp.messaging.incoming." + channel + ".connector", InProcessConnector.NAME);
        }
        p.put("livetune.gateway.redis-uri", redisUri);
        p.put("livetune.orchestrator.redis-uri", redisUri);
        p.put("livetune.inference.admin-token", adminToken);
        p.put("livetune.orchestrator.inference-admin-token", adminToken);
        // The gRPC listener serves inference's Generate too: only callers with a token of this secret get an answer.
        for (String role : List.of("inference", "gateway", "orchestrator")) {
            p.put("livetune." + role + ".generate-secret", generateSecret);
        }
        p.put("livetune.inference.model-dir", model);
        p.put("livetune.inference.artifacts-dir", artifacts);
        if (!live.isEmpty()) {
            p.put("livetune.inference.adapters", String.join(",", live));
        }
        p.put("livetune.orchestrator.launcher", "local");
        p.put("livetune.orchestrator.artifacts-dir", artifacts);
        p.put("livetune.orchestrator.base-model-dir", model);
        p.put("livetune.orchestrator.files-dir", files);
        p.put("livetune.orchestrator.trainer-jar", trainer);
        p.put("livetune.gateway.files-dir", files);
        s.otlpEndpoint().ifPresent(endpoint -> {
            p.put("quarkus.otel.sdk.disabled", false);
            p.put("quarkus.otel.exporter.otlp.endpoint", endpoint);
            p.put("livetune.orchestrator.trainer-otlp-endpoint", endpoint);
        });
        p.forEach((k, v) -> System.setProperty(k, v.toString()));
    }

    static Optional<String> readKey(Settings s) throws IOException {
        if (s.apiKey().isPresent()) {
            return s.apiKey();
        }
        return Files.isRegularFile(s.apiKeyFile())
                ? Optional.of(Files.readString(s.apiKeyFile(), StandardCharsets.US_ASCII).strip())
                : Optional.empty();
    }
}
