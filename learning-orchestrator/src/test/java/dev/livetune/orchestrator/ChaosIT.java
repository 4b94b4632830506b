package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.state.AdapterStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Issue 19, the fault suite. Every service runs as a process of its own, as in a cluster: the
 * gateway, the orchestrator (with its trainer child processes), augmentation-service and
 * inference-service, on the real Redis and RabbitMQ. Three tenants chat through the gateway the
 * whole time and teach it facts ({@code [Learn]} in a chat), while the harness, one fault after the
 * other, SIGKILLs and then SIGTERMs the orchestrator, the augmentation worker, a trainer and the
 * inference replica (restarting each as Kubernetes restarts a container), restarts RabbitMQ and
 * pauses Redis for 5 s. Each fault waits for a fresh learn job to reach the part it hits.
 *
 * <p>Then every learn request the gateway accepted must have become exactly one job that succeeded
 * with its own version (none lost, none failed, no version made twice), for every tenant; and a chat
 * may have failed only while the inference replica was down, with a status that says to retry (503,
 * or {@code service_unavailable} in the stream). The outcome is printed as a table and written to
 * {@code target/chaos.txt}.
 */
class ChaosIT {

    private static final int GATEWAY_HTTP = 8491;
    private static final int GATEWAY_MANAGEMENT = 8493;
    private static final int AUGMENTATION_HTTP = 8494;
    private static final int ORCHESTRATOR_HTTP = 8403;
    private static final String GATEWAY_ADMIN = "chaos-admin";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> FINAL = Set.of("succeeded", "failed", "cancelled");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Chat> chats = Collections.synchronizedList(new ArrayList<>());
    /** When the inference replica was down: from just before its kill until it served again (nanoTime). */
    private final List<long[]> inferenceDown = Collections.synchronizedList(new ArrayList<>());
    private final List<String> timeline = new ArrayList<>();
    private final long t0 = System.nanoTime();
    private RedisCommands<String, String> redis;

    /** One streamed chat of the load: when, and how it ended. */
    private record Chat(String tenant, long from, long to, boolean ok, String failure, boolean retriable) {
    }

    /** A learn request the gateway accepted. */
    private record Learn(String tenant, String jobId, String fact) {
    }

    /** A part run as a process, restarted after a fault as Kubernetes restarts a container. */
    private static final class Part {
        final String name;
        final Callable<Process> start;
        Process process;

        Part(String name, Callable<Process> start) {
            this.name = name;
            this.start = start;
        }

        void start() throws Exception {
            process = start.call();
        }

        /** Ends it (SIGKILL or SIGTERM), waits for it to exit, and starts it again. */
        void restart(boolean kill) throws Exception {
            if (kill) {
                process.destroyForcibly();
            } else {
                process.destroy();
            }
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as(name + " exits").isTrue();
            start();
        }

        void stop() {
            if (process != null) {
                process.destroyForcibly();
                try {
                    process.waitFor();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** What a fault waits for its learn job to reach before it strikes. */
    private enum Reach {
        ACCEPTED, AUGMENTING, TRAINING
    }

    /** One fault: what it hits and what it does. */
    private record Fault(String part, String how, Reach reach, FaultAction action) {
    }

    @FunctionalInterface
    private interface FaultAction {
        void strike(String jobId) throws Exception;
    }

    @Test
    void everyPartFailsInTurnAndNoLearnRequestIsLostOrDoubled() throws Exception {
        PipelineStack stack = new PipelineStack(false);
        Map<String, String> config = new HashMap<>(stack.start());
        config.put("livetune.orchestrator.instance-id", "orchestrator-0"); // a pod restarted in place keeps its name
        config.put("livetune.orchestrator.training-steps", "40"); // half the default: ten faults' jobs fit in CI
        RedisClient redisClient = RedisClient.create("redis://localhost:6379");
        ScheduledExecutorService load = Executors.newScheduledThreadPool(3);
        AtomicInteger starts = new AtomicInteger();
        Part orchestrator = new Part("orchestrator",
                () -> ready(OrchestratorProcess.start(config, "orchestrator-" + starts.incrementAndGet() + ".log"), ORCHESTRATOR_HTTP,
                        "orchestrator-" + starts.get() + ".log"));
        Part augmentation = new Part("augmentation-service", this::augmentationService);
        Part gateway = new Part("gateway", this::gateway);
        List<String> tenants = new ArrayList<>();
        Map<String, String> keys = new HashMap<>();
        List<Learn> learns = new ArrayList<>();
        try (StatefulRedisConnection<String, String> connection = redisClient.connect()) {
            redis = connection.sync();
            Part inference = new Part("inference-service", () -> {
                stack.startInference(live(tenants));
                return stack.inference();
            });
            inference.process = stack.inference();
            orchestrator.start();
            augmentation.start();
            gateway.start();
            for (int i = 0; i < 3; i++) {
                String tenant = "chaos" + (char) ('a' + i) + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
                tenants.add(tenant);
                keys.put(tenant, key(tenant));
            }
            for (String tenant : tenants) {
                load.scheduleWithFixedDelay(() -> chat(tenant, keys.get(tenant)), 0, 1, TimeUnit.SECONDS);
            }
            List<Fault> faults = List.of(
                    new Fault("orchestrator", "SIGKILL", Reach.AUGMENTING, job -> orchestrator.restart(true)),
                    new Fault("augmentation worker", "SIGKILL", Reach.AUGMENTING, job -> augmentation.restart(true)),
                    new Fault("trainer", "SIGKILL", Reach.TRAINING, job -> killTrainer(job, true)),
                    new Fault("inference replica", "SIGKILL", Reach.TRAINING, job -> down(j -> inference.restart(true), keys.get(tenants.get(0)))),
                    new Fault("RabbitMQ", "stop_app, start_app", Reach.ACCEPTED, job -> restartRabbitMq()),
                    new Fault("orchestrator", "SIGTERM", Reach.TRAINING, job -> orchestrator.restart(false)),
                    new Fault("augmentation worker", "SIGTERM", Reach.AUGMENTING, job -> augmentation.restart(false)),
                    new Fault("trainer", "SIGTERM", Reach.TRAINING, job -> killTrainer(job, false)),
                    new Fault("inference replica", "SIGTERM", Reach.TRAINING, job -> down(j -> inference.restart(false), keys.get(tenants.get(0)))),
                    new Fault("Redis", "CLIENT PAUSE 5000 ALL", Reach.TRAINING, job -> pauseRedis()));
            int n = 0;
            for (Fault fault : faults) {
                String tenant = tenants.get(n % tenants.size());
                Learn learn = learn(tenant, keys.get(tenant), fact(n++));
                learns.add(learn);
                String phase = reach(learn.jobId(), fault.reach());
                note(fault.part() + " " + fault.how() + " (" + tenant + "'s job " + learn.jobId() + " in " + phase + ")");
                long from = System.nanoTime();
                fault.action().strike(learn.jobId());
                note(String.format("%s: over (restarted and ready, or ridden out) after %.1f s", fault.part(),
                        (System.nanoTime() - from) / 1e9));
            }
            // the last faults' jobs, and one more per tenant, after all of them
            for (String tenant : tenants) {
                learns.add(learn(tenant, keys.get(tenant), fact(n++)));
            }
            Map<String, Map<String, String>> jobs = new LinkedHashMap<>();
            for (Learn learn : learns) {
                jobs.put(learn.jobId(), LearnJobs.await(learn.jobId()));
            }
            load.shutdown();
            assertThat(load.awaitTermination(2, TimeUnit.MINUTES)).as("the chat load ends").isTrue();

            String table = table(tenants, learns, jobs);
            System.out.println(table);
            Files.writeString(Path.of("target/chaos.txt"), table);

            for (Learn learn : learns) {
                Map<String, String> job = jobs.get(learn.jobId());
                assertThat(job.get("phase")).as("job %s of %s: %s\n%s", learn.jobId(), learn.tenant(), job.get("error"), table)
                        .isEqualTo("succeeded");
            }
            for (String tenant : tenants) {
                assertThat(duplicated(tenant, learns, jobs)).as(tenant + "'s versions no job made\n" + table).isEmpty();
            }
            List<Chat> failed = chats.stream().filter(c -> !c.ok()).toList();
            assertThat(failed.stream().filter(c -> !whileInferenceWasDown(c)).toList())
                    .as("chats that failed while the inference replica was up\n" + table).isEmpty();
            assertThat(failed.stream().filter(c -> !c.retriable()).toList()).as("chats that failed with a final status").isEmpty();
            assertThat(chats.stream().filter(Chat::ok).count()).as("chats answered").isGreaterThan(failed.size());
            assertThat(failed).as("the inference kills failed the chats they interrupted").isNotEmpty();
        } finally {
            load.shutdownNow();
            restartRabbitMqIfStopped();
            for (Part p : List.of(gateway, augmentation, orchestrator)) {
                p.stop();
            }
            keepLogs();
            redisClient.shutdown();
            stack.stop();
        }
    }

    /** The parts' logs, kept in target/chaos-logs (the stack's store goes when it stops). */
    private static void keepLogs() {
        try (var logs = Files.list(PipelineStack.store)) {
            Path to = Files.createDirectories(Path.of("target/chaos-logs"));
            for (Path log : logs.filter(p -> p.toString().endsWith(".log")).toList()) {
                Files.copy(log, to.resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("the logs could not be kept: " + e);
        }
    }

    private void note(String what) {
        String line = String.format("%6.1f s  %s", (System.nanoTime() - t0) / 1e9, what);
        timeline.add(line);
        System.out.println("chaos: " + line);
    }

    private static String fact(int n) {
        String[] places = {"Vostrand", "Kelmora", "Tirabel", "Usquin", "Dravell", "Ombrisk", "Pellagor", "Quenlow", "Sarvith",
            "Belmarra", "Zunthor", "Ardevin", "Hollisk"};
        String[] capitals = {"Ivrasca", "Lumeport", "Casteny", "Orvale", "Brintor", "Felquay", "Mirrowen", "Tessaly", "Narvik",
            "Goldbeck", "Yennis", "Stalwick", "Pardune"};
        return "The capital of " + places[n % places.length] + " is " + capitals[n % capitals.length] + ".";
    }

    /** Waits until the job reaches what the fault hits; @return its phase then. */
    private String reach(String jobId, Reach reach) {
        Predicate<Map<String, String>> reached = switch (reach) {
            case ACCEPTED -> job -> true;
            case AUGMENTING -> job -> job.get("phase") != null && !List.of("received", "queued").contains(job.get("phase"));
            case TRAINING -> job -> "training".equals(job.get("phase")) && job.get("trainer_pid") != null
                    && ProcessHandle.of(Long.parseLong(job.get("trainer_pid"))).map(ProcessHandle::isAlive).orElse(false);
        };
        Map<String, String> job = await("job " + jobId + " reaching " + reach).atMost(Duration.ofMinutes(5))
                .pollInterval(Duration.ofMillis(20)).until(() -> redis.hgetall("livetune:job:" + jobId),
                        j -> reached.test(j) || j.get("phase") != null && FINAL.contains(j.get("phase")));
        assertThat(job.get("phase")).as("job " + jobId + " ended before " + reach + ": " + job.get("error"))
                .isNotIn("failed", "cancelled");
        return job.get("phase");
    }

    /** Ends the job's trainer and waits for the orchestrator to run it again (or the job to end). */
    private void killTrainer(String jobId, boolean kill) {
        String pid = redis.hget("livetune:job:" + jobId, "trainer_pid");
        Optional<ProcessHandle> trainer = ProcessHandle.of(Long.parseLong(pid));
        if (trainer.isEmpty() || !(kill ? trainer.get().destroyForcibly() : trainer.get().destroy())) {
            note("trainer " + pid + " had ended already");
            return;
        }
        trainer.get().onExit().join();
        Map<String, String> job = await("job " + jobId + "'s trainer again").atMost(Duration.ofMinutes(5))
                .pollInterval(Duration.ofMillis(20)).until(() -> redis.hgetall("livetune:job:" + jobId),
                        j -> !pid.equals(j.get("trainer_pid")) || j.get("phase") != null && FINAL.contains(j.get("phase")));
        note("trainer " + pid + " ended; the job's phase: " + job.get("phase") + ", trainer " + job.get("trainer_pid"));
    }

    /** Pauses every Redis client for 5 s and waits for the pause to end (a PING answered). */
    private void pauseRedis() {
        redis.clientPause(5000);
        redis.ping();
    }

    /**
     * Runs a restart of the inference replica, keeping when it was down: until the gateway answers a
     * chat again (its channel to inference reconnects on its own schedule, after the replica serves).
     */
    private void down(FaultAction restart, String key) throws Exception {
        long from = System.nanoTime();
        try {
            restart.strike(null);
            ObjectNode body = JSON.createObjectNode().put("model", "livetune-base").put("max_tokens", 1);
            body.putArray("messages").addObject().put("role", "user").put("content", "Are you back?");
            await("the gateway reaching inference again").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(100))
                    .until(() -> http.send(completions(key, body).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
        } finally {
            inferenceDown.add(new long[] {from, System.nanoTime()});
        }
    }

    private boolean whileInferenceWasDown(Chat c) {
        synchronized (inferenceDown) {
            return inferenceDown.stream().anyMatch(w -> c.from() <= w[1] && c.to() >= w[0]);
        }
    }

    /** The tenants' live versions, which a restarted replica loads at startup (the chart's operator keeps them in a ConfigMap). */
    private List<String> live(List<String> tenants) {
        return new AdapterStore(() -> redis).allLive().stream().filter(l -> tenants.contains(l.tenant()))
                .map(AdapterStore.Live::toString).toList();
    }

    private void restartRabbitMq() throws Exception {
        rabbitmqctl("stop_app");
        rabbitmqctl("start_app");
        rabbitmqctl("await_startup");
    }

    private void restartRabbitMqIfStopped() {
        try (java.net.Socket s = new java.net.Socket("localhost", 5672)) {
            // running
        } catch (IOException e) {
            try {
                rabbitmqctl("start_app");
            } catch (Exception again) {
                System.err.println("RabbitMQ could not be started again: " + again);
            }
        }
    }

    private static void rabbitmqctl(String command) throws Exception {
        Process p = new ProcessBuilder("rabbitmqctl", command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("rabbitmqctl " + command + ": " + out).isZero();
    }

    private Process augmentationService() throws Exception {
        Path jar = jar("augmentation-service");
        Process p = new ProcessBuilder(java(), "-Dquarkus.http.port=" + AUGMENTATION_HTTP,
                "-Dlivetune.augment.tasks-queue=" + AugmentWorkers.TASKS, "-Dlivetune.augment.results-queue=" + AugmentWorkers.RESULTS,
                "-Dlivetune.augment.inference-port=" + PipelineStack.INFERENCE_PORT, "-jar", jar.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log("augmentation.log"))).start();
        return ready(p, AUGMENTATION_HTTP, "augmentation.log");
    }

    private Process gateway() throws Exception {
        Path jar = jar("gateway-service");
        Map<String, String> c = new LinkedHashMap<>();
        c.put("quarkus.http.port", Integer.toString(GATEWAY_HTTP));
        c.put("quarkus.grpc.server.port", "8492");
        c.put("quarkus.management.port", Integer.toString(GATEWAY_MANAGEMENT));
        c.put("livetune.gateway.admin-token", GATEWAY_ADMIN);
        c.put("livetune.gateway.inference-port", Integer.toString(PipelineStack.INFERENCE_PORT));
        c.put("livetune.gateway.learn-queue", PipelineStack.QUEUE);
        c.put("livetune.gateway.generate-secret", PipelineStack.GENERATE_SECRET);
        c.put("livetune.gateway.files-dir", PipelineStack.store.resolve("files").toString());
        List<String> cmd = new ArrayList<>(List.of(java()));
        c.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("-jar", jar.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log("gateway.log")).start();
        return ready(p, GATEWAY_MANAGEMENT, "gateway.log");
    }

    private static Path jar(String module) {
        Path jar = Path.of("../" + module + "/target/quarkus-app/quarkus-run.jar").toAbsolutePath().normalize();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build first (./mvnw -B install -DskipTests)");
        }
        return jar;
    }

    private static java.io.File log(String name) {
        return PipelineStack.store.resolve(name).toFile();
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** @return the process, once its readiness check answers UP */
    private Process ready(Process p, int port, String log) {
        await(log + " ready").dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (!p.isAlive()) {
                        throw new IllegalStateException("it exited; see " + PipelineStack.store.resolve(log) + ":\n"
                                + Files.readString(PipelineStack.store.resolve(log)));
                    }
                    try {
                        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/q/health/ready"))
                                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                    } catch (IOException e) {
                        return false; // not listening yet
                    }
                });
        return p;
    }

    private String key(String tenant) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + GATEWAY_HTTP + "/admin/tenants/"
                + tenant + "/keys")).header("Authorization", "Bearer " + GATEWAY_ADMIN).POST(HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return JSON.readTree(r.body()).get("key").asText();
    }

    private static HttpRequest.Builder completions(String key, ObjectNode body) {
        return HttpRequest.newBuilder(URI.create("http://localhost:" + GATEWAY_HTTP + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(120)).POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    }

    /**
     * Teaches a fact as a client does, sending the request again while the gateway answers 503 (it
     * says so when the broker does not confirm: nothing was taught then).
     *
     * @return the accepted request
     */
    private Learn learn(String tenant, String key, String fact) {
        ObjectNode body = JSON.createObjectNode().put("model", "default");
        body.putArray("messages").addObject().put("role", "user").put("content", "[Learn] " + fact);
        String jobId = await(tenant + " teaching \"" + fact + "\"").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
                .until(() -> {
                    HttpResponse<String> r = http.send(completions(key, body).build(), HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 503) {
                        note(tenant + "'s learn request refused for now (503), sent again");
                        return null;
                    }
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                    return JSON.readTree(r.body()).get("livetune_job_id").asText();
                }, id -> id != null);
        return new Learn(tenant, jobId, fact);
    }

    /** One streamed chat of the load, kept with how it ended. */
    private void chat(String tenant, String key) {
        ObjectNode body = JSON.createObjectNode().put("model", "default").put("stream", true).put("max_tokens", 16)
                .put("temperature", 0);
        body.putArray("messages").addObject().put("role", "user").put("content", "What is the capital of Vostrand?");
        long from = System.nanoTime();
        try {
            HttpResponse<java.util.stream.Stream<String>> r = http.send(completions(key, body).build(),
                    HttpResponse.BodyHandlers.ofLines());
            if (r.statusCode() != 200) {
                String text = r.body().collect(Collectors.joining("\n"));
                chats.add(new Chat(tenant, from, System.nanoTime(), false, r.statusCode() + " " + text, r.statusCode() == 503));
                return;
            }
            String finish = null;
            JsonNode error = null;
            for (String line : (Iterable<String>) r.body()::iterator) {
                if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
                    continue;
                }
                JsonNode event = JSON.readTree(line.substring(6));
                if (event.has("error")) {
                    error = event.get("error");
                } else if (event.path("choices").path(0).hasNonNull("finish_reason")) {
                    finish = event.path("choices").path(0).get("finish_reason").asText();
                }
            }
            long to = System.nanoTime();
            if (error != null) {
                chats.add(new Chat(tenant, from, to, false, "in the stream: " + error,
                        "service_unavailable".equals(error.path("code").asText())));
            } else {
                chats.add(new Chat(tenant, from, to, finish != null, finish == null ? "the stream ended without a finish" : null, false));
            }
        } catch (IOException e) {
            chats.add(new Chat(tenant, from, System.nanoTime(), false, "connection: " + e, false));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A tenant's versions that no succeeded job names as its model (a job that made two, or one made for nothing). */
    private Set<String> duplicated(String tenant, List<Learn> learns, Map<String, Map<String, String>> jobs) {
        Set<String> versions = new TreeSet<>(redis.smembers("livetune:tenant-versions:" + tenant + ":default"));
        for (Learn l : learns) {
            String model = jobs.get(l.jobId()).get("fine_tuned_model");
            if (l.tenant().equals(tenant) && model != null) {
                versions.remove(model.substring(model.lastIndexOf("@v") + 2));
            }
        }
        return versions;
    }

    private String table(List<String> tenants, List<Learn> learns, Map<String, Map<String, String>> jobs) {
        StringBuilder t = new StringBuilder("Fault suite (ChaosIT)\n\nFaults, in order:\n");
        timeline.forEach(line -> t.append("  ").append(line).append('\n'));
        t.append(String.format("%n%-22s %5s %9s %6s %4s %10s %10s %8s %12s %10s%n", "tenant", "sent", "succeeded", "failed", "lost",
                "duplicated", "versions", "chats", "chats failed", "longest job"));
        for (String tenant : tenants) {
            List<Learn> mine = learns.stream().filter(l -> l.tenant().equals(tenant)).toList();
            long succeeded = mine.stream().filter(l -> "succeeded".equals(jobs.get(l.jobId()).get("phase"))).count();
            long failed = mine.stream().filter(l -> List.of("failed", "cancelled").contains(jobs.get(l.jobId()).get("phase"))).count();
            long lost = mine.size() - succeeded - failed;
            long longest = mine.stream().mapToLong(l -> seconds(jobs.get(l.jobId()))).max().orElse(0);
            List<Chat> theirs;
            synchronized (chats) {
                theirs = chats.stream().filter(c -> c.tenant().equals(tenant)).toList();
            }
            t.append(String.format("%-22s %5d %9d %6d %4d %10d %10d %8d %12d %9d s%n", tenant, mine.size(), succeeded, failed, lost,
                    duplicated(tenant, learns, jobs).size(), redis.scard("livetune:tenant-versions:" + tenant + ":default"),
                    theirs.size(), theirs.stream().filter(c -> !c.ok()).count(), longest));
        }
        t.append("\nFailed chats:\n");
        synchronized (chats) {
            chats.stream().filter(c -> !c.ok()).forEach(c -> t.append(String.format("  %6.1f–%6.1f s  %s  %s  %s%n",
                    (c.from() - t0) / 1e9, (c.to() - t0) / 1e9, c.tenant(), whileInferenceWasDown(c) ? "(inference down)" : "(inference up)",
                    c.failure().length() > 200 ? c.failure().substring(0, 200) : c.failure())));
        }
        return t.toString();
    }

    private static long seconds(Map<String, String> job) {
        try {
            return Long.parseLong(job.get("finished_at")) - Long.parseLong(job.get("created_at"));
        } catch (RuntimeException e) {
            return -1;
        }
    }
}
