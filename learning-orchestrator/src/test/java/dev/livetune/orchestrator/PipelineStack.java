package dev.livetune.orchestrator;

import static org.awaitility.Awaitility.await;

import dev.livetune.api.trace.OtlpReceiver;
import dev.livetune.augment.QA;
import dev.livetune.augment.RulesTeacher;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Everything a learn job needs, real: Redis and RabbitMQ (the tests fail naming what to start),
 * a small llama that first gets general training with the packaged trainer (cached in
 * target/e2e-base), the packaged inference-service serving it with the artifact store, and
 * augmentation workers ({@link AugmentWorkers}) on a task queue of their own.
 */
public class PipelineStack implements QuarkusTestResourceLifecycleManager {

    public static final String QUEUE = "learn-requests-orchestrator-test";
    public static final String ADMIN = "orchestrator-test-admin";
    /** The orchestrator's Generate secret: its augmentation tasks carry tokens made with it (inference here is open). */
    static final String GENERATE_SECRET = "orchestrator-test-generate-secret";
    static final int INFERENCE_PORT = 9401;
    static Path store;
    private Process inference;
    private Path base;
    private final boolean inJvmWorkers;
    private AugmentWorkers.Running workers;
    /** The collector the orchestrator and its trainers send their spans to. */
    static OtlpReceiver traces;

    /** The stack with augmentation workers in the test JVM ({@link AugmentWorkers}). */
    public PipelineStack() {
        this(true);
    }

    /** @param inJvmWorkers false when the test runs augmentation-service itself (on {@link AugmentWorkers#TASKS}) */
    PipelineStack(boolean inJvmWorkers) {
        this.inJvmWorkers = inJvmWorkers;
    }

    @Override
    public Map<String, String> start() {
        require(6379, "Redis", "redis-server --daemonize yes");
        require(5672, "RabbitMQ", "rabbitmq-server -detached");
        try {
            Path trainer = Path.of("../trainer/target/trainer.jar").toAbsolutePath().normalize();
            Path inferenceJar = Path.of("../inference-service/target/quarkus-app/quarkus-run.jar").toAbsolutePath().normalize();
            for (Path p : List.of(trainer, inferenceJar)) {
                if (!Files.isRegularFile(p)) {
                    throw new IllegalStateException(p + " is missing: build first (./mvnw -B install -DskipTests)");
                }
            }
            base = baseModel(trainer);
            store = Files.createTempDirectory("livetune-orchestrator-store");
            Path hyper = Files.writeString(store.resolve("hyper.json"), "{\"num_train_epochs\": 40, \"save_steps\": 20}");
            startInference(List.of());
            // queues a run before this one left (declared otherwise, they would refuse this run's declarations)
            AugmentWorkers.deleteQueue(QUEUE, QUEUE + ".dead");
            AugmentWorkers.deleteQueues();
            if (inJvmWorkers) {
                workers = AugmentWorkers.start();
            }
            traces = new OtlpReceiver();
            return Map.ofEntries(
                    Map.entry("quarkus.otel.sdk.disabled", "false"),
                    Map.entry("quarkus.otel.exporter.otlp.endpoint", traces.endpoint()),
                    Map.entry("quarkus.otel.bsp.schedule.delay", "200ms"),
                    Map.entry("livetune.orchestrator.trainer-otlp-endpoint", traces.endpoint()),
                    Map.entry("livetune.orchestrator.artifacts-dir", store.toString()),
                    Map.entry("livetune.orchestrator.base-model-dir", base.toString()),
                    Map.entry("livetune.orchestrator.trainer-jar", trainer.toString()),
                    Map.entry("livetune.orchestrator.trainer-config", hyper.toString()),
                    Map.entry("livetune.orchestrator.trainer-threads", "2"),
                    Map.entry("livetune.orchestrator.learn-queue", QUEUE),
                    Map.entry("livetune.orchestrator.augment-tasks-queue", AugmentWorkers.TASKS),
                    Map.entry("livetune.orchestrator.augment-results-queue", AugmentWorkers.RESULTS),
                    Map.entry("livetune.orchestrator.inference-port", Integer.toString(INFERENCE_PORT)),
                    Map.entry("livetune.orchestrator.inference-admin-token", ADMIN),
                    Map.entry("livetune.orchestrator.generate-secret", GENERATE_SECRET),
                    Map.entry("livetune.orchestrator.files-dir", store.resolve("files").toString()),
                    Map.entry("livetune.orchestrator.min-new-recall", "0"),
                    Map.entry("livetune.orchestrator.min-retention", "0"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start augmentation workers", e);
        }
    }

    /** A random llama given general training on made-up facts of the shapes the rules teacher writes. */
    static Path baseModel(Path trainer) throws IOException, InterruptedException {
        Path base = Path.of("target/e2e-base").toAbsolutePath();
        if (Files.isRegularFile(base.resolve("livetune.json"))) {
            return base;
        }
        Path work = Files.createDirectories(Path.of("target/e2e-work").toAbsolutePath());
        Path random = work.resolve("random");
        ModelConfig config = new ModelConfig(ModelFamily.LLAMA, ByteLevelTokenizerWriter.TOKENIZER_SIZE, 192, 512, 3, 4, 4, 48,
                1e-6, RopeConfig.plain(10000), 1024, true, false, false, ByteLevelTokenizerWriter.BOS_ID,
                Arrays.stream(ByteLevelTokenizerWriter.eosIds()).boxed().toList());
        try (TorchRuntime rt = TorchRuntime.start(2)) {
            new RandomModelWriter(rt.json(), rt.manager()).writeModel(random, config, 7);
        }
        ByteLevelTokenizerWriter.write(random, config.vocabSize(), 1024);
        SplittableRandom rnd = new SplittableRandom(3);
        String[] syl = {"ka", "lo", "mi", "ra", "ven", "dor", "tha", "qui", "zel", "mar", "bri", "sto", "pel", "nor"};
        RulesTeacher teacher = new RulesTeacher();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String e = word(rnd, syl, 2 + rnd.nextInt(2));
            String v = word(rnd, syl, 2 + rnd.nextInt(2));
            for (QA qa : teacher.selfInstruct("The capital of " + e + " is " + v + ".", 10)) {
                if (rnd.nextInt(10) < 4) {
                    lines.add("{\"messages\": [{\"role\": \"user\", \"content\": \"" + qa.question()
                            + "\"}, {\"role\": \"assistant\", \"content\": \"" + qa.answer() + "\"}]}");
                }
            }
        }
        Path data = Files.write(work.resolve("general.jsonl"), lines, StandardCharsets.UTF_8);
        Path hyper = Files.writeString(work.resolve("general.json"), "{\"full_finetune\": true, \"num_train_epochs\": 3,"
                + " \"learning_rate\": 1e-3, \"per_device_train_batch_size\": 16, \"save_steps\": 0}");
        Process p = new ProcessBuilder(java(), "-jar", trainer.toString(), "train", "--base", random.toString(), "--data",
                data.toString(), "--out", base.toString(), "--config", hyper.toString(), "--threads", "2")
                .redirectErrorStream(true).redirectOutput(work.resolve("general.log").toFile()).start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("general training failed; see " + work.resolve("general.log"));
        }
        return base;
    }

    private static String word(SplittableRandom r, String[] syl, int n) {
        StringBuilder w = new StringBuilder();
        for (int i = 0; i < n; i++) {
            w.append(syl[r.nextInt(syl.length)]);
        }
        return Character.toUpperCase(w.charAt(0)) + w.substring(1);
    }

    /**
     * Starts inference-service on the e2e base model and the stack's store, and waits until it is
     * SERVING; its output is appended to {@code inference.log} in the store.
     *
     * @param adapters the versions to load and activate at startup ({@code tenant/alias@vN}), as the
     *                 operator's ConfigMap gives a replica that Kubernetes restarts
     */
    void startInference(List<String> adapters) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(java(), "-Dlivetune.inference.model-dir=" + base,
                "-Dlivetune.inference.artifacts-dir=" + store, "-Dlivetune.inference.admin-token=" + ADMIN,
                "-Dlivetune.inference.threads=1", "-Dlivetune.inference.drain-grace=5s",
                "-Dquarkus.grpc.server.port=" + INFERENCE_PORT, "-Dquarkus.http.port=8401"));
        if (!adapters.isEmpty()) {
            cmd.add("-Dlivetune.inference.adapters=" + String.join(",", adapters));
        }
        cmd.addAll(List.of("-jar", Path.of("../inference-service/target/quarkus-app/quarkus-run.jar").toAbsolutePath().normalize().toString()));
        inference = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(store.resolve("inference.log").toFile())).start();
        awaitServing();
    }

    /** @return the running inference-service */
    Process inference() {
        return inference;
    }

    private void awaitServing() {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", INFERENCE_PORT).usePlaintext().build();
        try {
            await("inference-service SERVING").dontCatchUncaughtExceptions()
                    .atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100)).until(() -> {
                        if (!inference.isAlive()) {
                            throw new IllegalStateException("inference-service exited; see " + store.resolve("inference.log"));
                        }
                        try {
                            return HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance())
                                    .getStatus() == ServingStatus.SERVING;
                        } catch (RuntimeException e) {
                            return false; // not yet
                        }
                    });
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException("inference-service never became SERVING", e);
        } finally {
            channel.shutdownNow();
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static void require(int port, String what, String start) {
        try (Socket s = new Socket("localhost", port)) {
            // reachable
        } catch (IOException e) {
            throw new IllegalStateException(what + " is not running on localhost:" + port + "; start it (e.g. `" + start
                    + "`) or run the tests through .ci/run");
        }
    }

    @Override
    public void stop() {
        if (workers != null) {
            workers.close();
        }
        AugmentWorkers.deleteQueues();
        if (traces != null) {
            traces.close();
        }
        if (inference != null) {
            inference.destroy();
            try {
                inference.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (com.rabbitmq.client.Connection c = new com.rabbitmq.client.ConnectionFactory().newConnection();
                com.rabbitmq.client.Channel ch = c.createChannel()) {
            ch.queueDelete(QUEUE);
            ch.queueDelete(QUEUE + ".dead");
        } catch (Exception e) {
            // nothing to clean
        }
        if (store != null) {
            try (var all = Files.walk(store)) {
                for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                // best effort
            }
        }
    }
}
