package dev.livetune.gateway;

import static org.awaitility.Awaitility.await;

import dev.livetune.api.testing.TcpProxy;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.model.ModelConfig;
import dev.livetune.llm.model.ModelFamily;
import dev.livetune.llm.model.RandomModelWriter;
import dev.livetune.llm.model.RopeConfig;
import dev.livetune.llm.tokenizer.ByteLevelTokenizerWriter;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.awaitility.core.ConditionTimeoutException;

/**
 * What the gateway talks to in the tests, all real: Redis and RabbitMQ on their usual local ports
 * (the tests fail with a message saying what to start when they are not there), the packaged
 * inference-service serving a small random llama (behind {@link #tap}, which records the requests it
 * receives), and a TCP proxy in front of RabbitMQ that a test can cut to play a broker outage.
 */
public class GatewayStack implements QuarkusTestResourceLifecycleManager {

    public static final String ADMIN = "gateway-test-admin";
    /** Shared by the gateway and its inference-service: every Generate call carries a token for its tenant. */
    static final String GENERATE_SECRET = "gateway-test-generate-secret";
    /** The tests' own learn queue, deleted when they end. */
    public static final String QUEUE = "learn-requests-gateway-test";
    /** Where the gateway reaches inference: {@link #tap}, in front of the real service on {@code INFERENCE_PORT + 1}. */
    static final int INFERENCE_PORT = 9301;
    static TcpProxy rabbit;
    /** What inference-service receives from the gateway. */
    static InferenceTap tap;
    private Process inference;
    private Path root;
    /** Takes the OTLP exports (the tests read spans from {@link TestSpans} instead). */
    /** Receives the spans of the gateway and of its inference-service. */
    static dev.livetune.api.trace.OtlpReceiver collector;

    @Override
    public Map<String, String> start() {
        require("Redis", 6379, "redis-server --daemonize yes");
        require("RabbitMQ", 5672, "rabbitmq-server -detached");
        try {
            root = Files.createTempDirectory("livetune-gateway-test");
            collector = new dev.livetune.api.trace.OtlpReceiver();
            Path model = root.resolve("model");
            ModelConfig config = new ModelConfig(ModelFamily.LLAMA, 261, 64, 128, 2, 4, 2, 16, 1e-6,
                    RopeConfig.plain(10000), 512, true, false, false, ByteLevelTokenizerWriter.BOS_ID,
                    Arrays.stream(ByteLevelTokenizerWriter.eosIds()).boxed().toList());
            try (TorchRuntime rt = TorchRuntime.start(1)) {
                new RandomModelWriter(rt.json(), rt.manager()).writeModel(model, config, 5);
            }
            ByteLevelTokenizerWriter.write(model, config.vocabSize(), 512);
            String jar = System.getProperty("inference.jar", "../inference-service/target/quarkus-app/quarkus-run.jar");
            if (!Files.isRegularFile(Path.of(jar))) {
                throw new IllegalStateException(jar + " is missing: build inference-service first (./mvnw -B install -DskipTests)");
            }
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Dlivetune.inference.model-dir=" + model, "-Dlivetune.inference.threads=1",
                    "-Dlivetune.inference.generate-secret=" + GENERATE_SECRET,
                    "-Dquarkus.otel.sdk.disabled=false", "-Dquarkus.otel.exporter.otlp.endpoint=" + collector.endpoint(),
                    "-Dquarkus.otel.bsp.schedule.delay=200ms",
                    "-Dquarkus.grpc.server.port=" + (INFERENCE_PORT + 1), "-Dquarkus.http.port=8301", "-jar", jar));
            inference = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(root.resolve("inference.log").toFile())
                    .start();
            awaitServing();
            tap = new InferenceTap(INFERENCE_PORT, INFERENCE_PORT + 1);
            rabbit = new TcpProxy(5672);
            return Map.ofEntries(
                    Map.entry("quarkus.otel.sdk.disabled", "false"),
                    Map.entry("quarkus.otel.exporter.otlp.endpoint", collector.endpoint()),
                    Map.entry("quarkus.otel.bsp.schedule.delay", "200ms"),
                    Map.entry("livetune.gateway.admin-token", ADMIN),
                    Map.entry("livetune.gateway.inference-port", Integer.toString(INFERENCE_PORT)),
                    Map.entry("livetune.gateway.rabbitmq-uri", "amqp://guest:guest@localhost:" + rabbit.port() + "/%2F"),
                    Map.entry("livetune.gateway.publish-confirm-timeout", "2s"),
                    Map.entry("livetune.gateway.learn-queue", QUEUE),
                    Map.entry("livetune.gateway.requests-per-minute", "100000"),
                    Map.entry("livetune.gateway.max-files-per-tenant", "4"),
                    Map.entry("livetune.gateway.max-file-bytes-per-tenant", "1000000"),
                    Map.entry("livetune.gateway.max-sessions-per-tenant", "5"),
                    Map.entry("livetune.gateway.session-max-bytes", "400"),
                    Map.entry("livetune.gateway.max-adapters-per-tenant", "3"),
                    Map.entry("livetune.gateway.max-streams-per-tenant", "2"),
                    Map.entry("livetune.gateway.learn-jobs-per-hour", "8"),
                    Map.entry("livetune.gateway.generate-secret", GENERATE_SECRET));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitServing() {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", INFERENCE_PORT + 1).usePlaintext().build();
        try {
            await("inference-service SERVING").dontCatchUncaughtExceptions()
                    .atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100)).until(() -> {
                        if (!inference.isAlive()) {
                            throw new IllegalStateException("inference-service exited; see " + root.resolve("inference.log"));
                        }
                        try {
                            return HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance())
                                    .getStatus() == ServingStatus.SERVING;
                        } catch (RuntimeException e) {
                            return false; // not up yet
                        }
                    });
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException("inference-service never became SERVING", e);
        } finally {
            channel.shutdownNow();
        }
    }

    /** The learn requests of {@code tenant} now in the tests' queue, taken off it (the others are put back). */
    static List<com.fasterxml.jackson.databind.JsonNode> drain(com.rabbitmq.client.Channel ch, String tenant)
            throws IOException {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        List<com.fasterxml.jackson.databind.JsonNode> out = new ArrayList<>();
        for (com.rabbitmq.client.GetResponse r : drainMessages(ch, tenant)) {
            out.add(json.readTree(r.getBody()));
        }
        return out;
    }

    /** @return the tenant's learn requests on the test queue, taken off it, as delivered (headers too) */
    static List<com.rabbitmq.client.GetResponse> drainMessages(com.rabbitmq.client.Channel ch, String tenant)
            throws IOException {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        List<com.rabbitmq.client.GetResponse> out = new ArrayList<>();
        List<com.rabbitmq.client.GetResponse> others = new ArrayList<>();
        com.rabbitmq.client.GetResponse r;
        while ((r = ch.basicGet(QUEUE, false)) != null) {
            com.fasterxml.jackson.databind.JsonNode m = json.readTree(r.getBody());
            if (m.get("tenant").asText().equals(tenant)) {
                out.add(r);
                ch.basicAck(r.getEnvelope().getDeliveryTag(), false);
            } else {
                others.add(r);
            }
        }
        for (com.rabbitmq.client.GetResponse o : others) {
            ch.basicNack(o.getEnvelope().getDeliveryTag(), false, true);
        }
        return out;
    }

    private static void require(String what, int port, String start) {
        try (Socket s = new Socket("localhost", port)) {
            // reachable
        } catch (IOException e) {
            throw new IllegalStateException(what + " is not running on localhost:" + port + "; start it (e.g. `" + start
                    + "`) or run the tests through .ci/run, which starts it");
        }
    }

    @Override
    public void stop() {
        if (rabbit != null) {
            rabbit.close();
        }
        if (tap != null) {
            try {
                tap.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (collector != null) {
            collector.close();
        }
        try (com.rabbitmq.client.Connection c = new com.rabbitmq.client.ConnectionFactory().newConnection();
                com.rabbitmq.client.Channel ch = c.createChannel()) {
            ch.queueDelete(QUEUE);
        } catch (Exception e) {
            // the broker is gone; nothing to clean
        }
        if (inference != null) {
            inference.destroy();
            try {
                inference.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (var all = Files.walk(root)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // best effort
        }
    }
}
