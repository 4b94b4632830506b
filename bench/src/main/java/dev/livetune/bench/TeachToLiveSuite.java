package dev.livetune.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.livetune.api.inference.v1.ChatMessage;
import dev.livetune.api.inference.v1.ChatPrompt;
import dev.livetune.api.inference.v1.GenerateChunk;
import dev.livetune.api.inference.v1.GenerateRequest;
import dev.livetune.api.inference.v1.InferenceGrpc;
import dev.livetune.api.inference.v1.SamplingParams;
import dev.livetune.api.learn.LearnRequest;
import dev.livetune.llm.perf.Stats;
import dev.livetune.state.JobStore;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Teach-to-live time: 10 made-up facts taught one after another through the real pipeline
 * (learn-requests queue → learning-orchestrator → augment-tasks → augmentation-service → trainer →
 * eval gate → inference-service), each
 * timed from publishing the request to its version being live; then every fact is asked for through
 * the tenant's alias, so the last version shows what it kept.
 */
@Command(name = "teach-to-live", mixinStandardHelpOptions = true)
public final class TeachToLiveSuite implements Callable<Integer> {

    @Option(names = "--base", defaultValue = "bench/target/learning/general-base",
            description = "a model given general training (LearningSuite writes one)")
    Path base;

    @Option(names = "--facts", defaultValue = "10")
    int facts;

    @Option(names = "--work", defaultValue = "bench/target/teach-to-live")
    Path work;

    @Option(names = "--out", defaultValue = "bench/reports/teach-to-live.json")
    Path out;

    private static final String QUEUE = "learn-requests-teach-to-live";
    private static final String ADMIN = "bench-admin";
    private static final String TASKS = "augment-tasks-teach-to-live";
    private static final String RESULTS = "augment-results-teach-to-live";

    public static void main(String[] args) {
        System.exit(new CommandLine(new TeachToLiveSuite()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Path store = work.resolve("store").toAbsolutePath();
        Files.createDirectories(store);
        Path hyper = Files.writeString(work.resolve("hyper.json"), "{\"num_train_epochs\": 40, \"save_steps\": 0}");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process inference = new ProcessBuilder(java, "-Dlivetune.inference.model-dir=" + base.toAbsolutePath(),
                "-Dlivetune.inference.artifacts-dir=" + store, "-Dlivetune.inference.admin-token=" + ADMIN,
                "-Dlivetune.inference.threads=1", "-Dquarkus.grpc.server.port=9510", "-Dquarkus.http.port=8510", "-jar",
                "inference-service/target/quarkus-app/quarkus-run.jar").redirectErrorStream(true)
                .redirectOutput(work.resolve("inference.log").toFile()).start();
        Process orchestrator = new ProcessBuilder(java, "-Dlivetune.orchestrator.artifacts-dir=" + store,
                "-Dlivetune.orchestrator.base-model-dir=" + base.toAbsolutePath(),
                "-Dlivetune.orchestrator.trainer-jar=trainer/target/trainer.jar",
                "-Dlivetune.orchestrator.trainer-config=" + hyper.toAbsolutePath(),
                "-Dlivetune.orchestrator.trainer-threads=2", "-Dlivetune.orchestrator.learn-queue=" + QUEUE,
                "-Dlivetune.orchestrator.inference-port=9510", "-Dlivetune.orchestrator.inference-admin-token=" + ADMIN,
                "-Dlivetune.orchestrator.augment-tasks-queue=" + TASKS, "-Dlivetune.orchestrator.augment-results-queue=" + RESULTS,
                "-Dquarkus.http.port=8511", "-jar", "learning-orchestrator/target/quarkus-app/quarkus-run.jar")
                .redirectErrorStream(true).redirectOutput(work.resolve("orchestrator.log").toFile()).start();
        Process augmentation = new ProcessBuilder(java, "-Dlivetune.augment.tasks-queue=" + TASKS,
                "-Dlivetune.augment.results-queue=" + RESULTS, "-Dquarkus.http.port=8512", "-jar",
                "augmentation-service/target/quarkus-app/quarkus-run.jar")
                .redirectErrorStream(true).redirectOutput(work.resolve("augmentation.log").toFile()).start();
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", 9510).usePlaintext().build();
        RedisClient redisClient = RedisClient.create("redis://localhost:6379");
        Map<String, Object> report = new LinkedHashMap<>();
        try (StatefulRedisConnection<String, String> redis = redisClient.connect();
                Connection mq = new ConnectionFactory().newConnection(); Channel ch = mq.createChannel()) {
            JobStore jobs = new JobStore(redis::sync);
            long up = System.currentTimeMillis() + 120_000;
            while (true) {
                try {
                    if (HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance()).getStatus()
                            == ServingStatus.SERVING) {
                        break;
                    }
                } catch (RuntimeException e) {
                    // not yet
                }
                if (System.currentTimeMillis() > up) {
                    throw new IllegalStateException("inference-service never became SERVING");
                }
                Thread.sleep(200);
            }
            Thread.sleep(5000); // the orchestrator's consumer and the augmentation workers
            ch.queueDeclare(QUEUE, true, false, false, null);
            String tenant = "bench" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
            List<FactCorpus.Fact> list = new FactCorpus(77).facts(facts);
            double[] seconds = new double[facts];
            List<Map<String, Object>> rows = new ArrayList<>();
            for (int i = 0; i < facts; i++) {
                FactCorpus.Fact f = list.get(i);
                String statement = f.answer(0);
                String jobId = "ftjob-" + UUID.randomUUID().toString().replace("-", "");
                LearnRequest r = new LearnRequest(1, UUID.randomUUID().toString(), jobId, tenant, "default", "auto", statement,
                        List.of(), null, List.of(), Instant.now().toString(), null);
                long t0 = System.nanoTime();
                ch.basicPublish("", QUEUE, null, new ObjectMapper().writeValueAsBytes(r));
                String phase;
                while (true) {
                    phase = jobs.field(jobId, "phase");
                    if (phase != null && List.of("succeeded", "failed", "cancelled").contains(phase)) {
                        break;
                    }
                    Thread.sleep(100);
                }
                seconds[i] = (System.nanoTime() - t0) / 1e9;
                String answer = ask(channel, tenant, f.question(0));
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("statement", statement);
                row.put("phase", phase);
                row.put("seconds", seconds[i]);
                row.put("answer", answer);
                row.put("knows_it", answer.contains(f.value()));
                rows.add(row);
                System.err.printf("fact %d: %s in %.1f s; answer: %s%n", i + 1, phase, seconds[i], answer.strip());
            }
            int kept = 0;
            for (FactCorpus.Fact f : list) {
                kept += ask(channel, tenant, f.question(0)).contains(f.value()) ? 1 : 0;
            }
            report.put("suite", "teach-to-live");
            report.put("when", Instant.now().toString());
            report.put("base", base.toAbsolutePath().toString());
            report.put("facts", facts);
            report.put("seconds", seconds);
            report.put("median_seconds", Stats.median(seconds));
            double[] sorted = seconds.clone();
            Arrays.sort(sorted);
            report.put("max_seconds", sorted[sorted.length - 1]);
            report.put("goal_median_seconds", 60);
            report.put("all_facts_known_at_the_end", kept + "/" + facts);
            report.put("jobs", rows);
            System.err.printf("median %.1f s; at the end the model knows %d of %d%n", Stats.median(seconds), kept, facts);
        } finally {
            channel.shutdownNow();
            redisClient.shutdown();
            orchestrator.destroy();
            augmentation.destroy();
            inference.destroy();
            orchestrator.waitFor();
            augmentation.waitFor();
            inference.waitFor();
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        json.writeValue(out.toFile(), report);
        return 0;
    }

    private static String ask(ManagedChannel channel, String tenant, String question) {
        Iterator<GenerateChunk> it = InferenceGrpc.newBlockingStub(channel).generate(GenerateRequest.newBuilder()
                .setAdapter(tenant + "/default").setChat(ChatPrompt.newBuilder().addMessages(ChatMessage.newBuilder()
                        .setRole("user").setContent(question)))
                .setSampling(SamplingParams.newBuilder().setMaxTokens(64).setTemperature(0)).build());
        StringBuilder text = new StringBuilder();
        it.forEachRemaining(c -> text.append(c.getText()));
        return text.toString();
    }
}
