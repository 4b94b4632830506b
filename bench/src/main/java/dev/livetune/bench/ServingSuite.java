package dev.livetune.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.api.artifact.ArtifactLayout;
import dev.livetune.api.inference.v1.GenerateChunk;
import dev.livetune.api.inference.v1.GenerateRequest;
import dev.livetune.api.inference.v1.InferenceAdminGrpc;
import dev.livetune.api.inference.v1.InferenceGrpc;
import dev.livetune.api.inference.v1.LoadAdapterRequest;
import dev.livetune.api.inference.v1.LoadAdapterResponse;
import dev.livetune.api.inference.v1.SamplingParams;
import dev.livetune.api.inference.v1.TokenPrompt;
import dev.livetune.api.inference.v1.UnloadAdapterRequest;
import dev.livetune.llm.LanguageModel;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.generate.GenerationRequest;
import dev.livetune.llm.model.ModelConfig;
import dev.livetune.llm.model.RandomModelWriter;
import dev.livetune.llm.perf.Stats;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * inference-service under load, started from its packaged jar as an operator would: time to first
 * token, inter-token latency and aggregate tokens/s at several concurrencies over gRPC, against the
 * same requests run in-process on llm-runtime in this JVM (alternating, so they never share the CPU);
 * adapter hot-load latency; and the first-token time of a request whose adapter is not resident.
 */
@Command(name = "serving-suite", mixinStandardHelpOptions = true)
public final class ServingSuite implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "Hugging Face model directory (the ~100M init-model shape)")
    Path model;

    @Option(names = "--service", defaultValue = "inference-service/target/quarkus-app/quarkus-run.jar")
    Path service;

    @Option(names = "--work", defaultValue = "bench/target/serving", description = "scratch directory (adapter store)")
    Path work;

    @Option(names = "--concurrency", split = ",", defaultValue = "1,4,8,16")
    int[] concurrency;

    @Option(names = "--requests-per-client", defaultValue = "2")
    int requestsPerClient;

    @Option(names = "--prompt-tokens", defaultValue = "16")
    int promptTokens;

    @Option(names = "--new-tokens", defaultValue = "48")
    int newTokens;

    @Option(names = "--loads", defaultValue = "12", description = "adapter hot-loads to time")
    int loads;

    @Option(names = "--threads", defaultValue = "2")
    int threads;

    @Option(names = "--out", defaultValue = "bench/reports/serving-suite.json")
    Path out;

    private static final String ADMIN = "bench-admin";
    private static final int GRPC_PORT = 9210;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ServingSuite()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Path store = work.resolve("store");
        ModelConfig config;
        try (TorchRuntime rt = TorchRuntime.start(1); LanguageModel m = LanguageModel.load(model, rt)) {
            config = m.decoder().config();
            RandomModelWriter writer = new RandomModelWriter(rt.json(), rt.manager());
            for (int v = 1; v <= loads + 8; v++) {
                Path dir = new ArtifactLayout(store).version("bench", "a", v);
                if (!Files.isRegularFile(dir.resolve(ArtifactLayout.ADAPTER_MANIFEST))) {
                    writer.writeAdapter(dir, config, 16, 32, List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                            "up_proj", "down_proj"), v);
                    manifest(dir, json);
                }
            }
        }
        Process proc = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dlivetune.inference.model-dir=" + model.toAbsolutePath(),
                "-Dlivetune.inference.artifacts-dir=" + store.toAbsolutePath(),
                "-Dlivetune.inference.admin-token=" + ADMIN, "-Dlivetune.inference.threads=" + threads,
                "-Dlivetune.inference.adapters=bench/a@v1", "-Dlivetune.inference.max-batch=16",
                "-Dquarkus.grpc.server.port=" + GRPC_PORT, "-Dquarkus.http.port=8210", "-jar", service.toString())
                .redirectErrorStream(true).redirectOutput(work.resolve("service.log").toFile()).start();
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", GRPC_PORT).usePlaintext().build();
        Map<String, Object> report = new LinkedHashMap<>();
        try (TorchRuntime rt = TorchRuntime.start(threads); LanguageModel direct = LanguageModel.load(model, rt)) {
            awaitServing(channel, proc);
            InferenceGrpc.InferenceBlockingStub inference = InferenceGrpc.newBlockingStub(channel);
            Metadata md = new Metadata();
            md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + ADMIN);
            InferenceAdminGrpc.InferenceAdminBlockingStub admin = InferenceAdminGrpc.newBlockingStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
            report.put("suite", "serving");
            report.put("when", Instant.now().toString());
            report.put("model", model.toAbsolutePath().toString());
            report.put("parameters", config.parameterCount());
            report.put("threads", threads);
            report.put("prompt_tokens", promptTokens);
            report.put("new_tokens", newTokens);
            report.put("adapter", "r 16 on all seven projections (bench/a@v1 for the load runs)");

            // Warm both paths once.
            run(inference, 1, 1);
            runDirect(direct, 1, 1);
            List<Map<String, Object>> levels = new ArrayList<>();
            for (int c : concurrency) {
                Load grpc = run(inference, c, requestsPerClient);
                double directTps = runDirect(direct, c, requestsPerClient);
                Map<String, Object> level = new LinkedHashMap<>();
                level.put("concurrency", c);
                level.put("requests", c * requestsPerClient);
                level.put("ttft_p50_ms", percentile(grpc.ttft, 50) * 1000);
                level.put("ttft_p95_ms", percentile(grpc.ttft, 95) * 1000);
                level.put("itl_p50_ms", percentile(grpc.itl, 50) * 1000);
                level.put("itl_p95_ms", percentile(grpc.itl, 95) * 1000);
                level.put("grpc_tokens_per_s", grpc.tokensPerSecond);
                level.put("direct_tokens_per_s", directTps);
                level.put("grpc_over_direct", grpc.tokensPerSecond / directTps);
                levels.add(level);
                System.err.printf("concurrency %2d: ttft p50 %.0f ms p95 %.0f ms, itl p50 %.0f ms p95 %.0f ms, %.1f tok/s"
                        + " (direct %.1f, ratio %.2f)%n", c, percentile(grpc.ttft, 50) * 1000, percentile(grpc.ttft, 95) * 1000,
                        percentile(grpc.itl, 50) * 1000, percentile(grpc.itl, 95) * 1000, grpc.tokensPerSecond, directTps,
                        grpc.tokensPerSecond / directTps);
            }
            report.put("levels", levels);

            // Hot-load: versions never loaded before, one at a time, each unloaded afterwards.
            double[] loadSeconds = new double[loads];
            double[] loadCall = new double[loads];
            for (int i = 0; i < loads; i++) {
                int v = 2 + i;
                long t0 = System.nanoTime();
                LoadAdapterResponse r = admin.loadAdapter(LoadAdapterRequest.newBuilder().setTenant("bench").setName("a")
                        .setVersion(v).build());
                loadCall[i] = (System.nanoTime() - t0) / 1e9;
                loadSeconds[i] = r.getLoadSeconds();
                admin.unloadAdapter(UnloadAdapterRequest.newBuilder().setTenant("bench").setName("a").setVersion(v).build());
            }
            Map<String, Object> hot = new LinkedHashMap<>();
            hot.put("loads", loads);
            hot.put("load_p50_ms", percentile(loadSeconds, 50) * 1000);
            hot.put("load_p95_ms", percentile(loadSeconds, 95) * 1000);
            hot.put("admin_call_p95_ms", percentile(loadCall, 95) * 1000);
            hot.put("goal_p95_ms", 300);
            report.put("adapter_hot_load", hot);
            System.err.printf("hot-load p50 %.0f ms, p95 %.0f ms (admin call p95 %.0f ms)%n", percentile(loadSeconds, 50) * 1000,
                    percentile(loadSeconds, 95) * 1000, percentile(loadCall, 95) * 1000);

            // First token with the adapter resident vs. loaded on demand (unloaded before each request).
            int reps = 8;
            double[] resident = new double[reps];
            double[] cold = new double[reps];
            int coldVersion = loads + 4;
            for (int i = 0; i < reps; i++) {
                resident[i] = firstToken(inference, "bench/a@v1");
                admin.unloadAdapter(UnloadAdapterRequest.newBuilder().setTenant("bench").setName("a").setVersion(coldVersion).build());
                cold[i] = firstToken(inference, "bench/a@v" + coldVersion);
            }
            Map<String, Object> ttft = new LinkedHashMap<>();
            ttft.put("resident_ttft_p50_ms", Stats.median(resident) * 1000);
            ttft.put("not_resident_ttft_p50_ms", Stats.median(cold) * 1000);
            ttft.put("not_resident_over_resident", Stats.median(cold) / Stats.median(resident));
            ttft.put("goal_ratio", 1.5);
            report.put("first_token_adapter_not_resident", ttft);
            System.err.printf("ttft resident %.0f ms, not resident %.0f ms, ratio %.2f%n", Stats.median(resident) * 1000,
                    Stats.median(cold) * 1000, Stats.median(cold) / Stats.median(resident));
            report.put("service_metrics", serviceMetrics());
        } finally {
            channel.shutdownNow();
            proc.destroy();
            proc.waitFor();
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        json.writeValue(out.toFile(), report);
        System.out.println(json.writeValueAsString(report));
        return 0;
    }

    private record Load(double[] ttft, double[] itl, double tokensPerSecond) {
    }

    /** The meters that summarise the run, as the replica's /q/metrics showed them after it. */
    private static final List<String> SUMMARY = List.of("livetune_request_finished_total", "livetune_request_queue_time_seconds_count",
            "livetune_request_queue_time_seconds_sum", "livetune_request_queue_time_seconds_max", "livetune_generation_tokens_total",
            "livetune_prompt_tokens_total", "livetune_adapter_loads_total", "livetune_adapters_resident",
            "livetune_kv_cache_capacity", "livetune_time_to_first_token_seconds_count");

    /**
     * The replica's Prometheus page after the run (written whole to {@code service-metrics.txt} in the
     * work directory): the summary meters' samples, labels included.
     */
    private Map<String, Double> serviceMetrics() throws Exception {
        String page = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://localhost:8210/q/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        Files.writeString(work.resolve("service-metrics.txt"), page);
        Map<String, Double> out = new java.util.TreeMap<>();
        for (String line : page.lines().toList()) {
            int space = line.lastIndexOf(' ');
            String name = space < 0 ? line : line.substring(0, space);
            if (!line.startsWith("#") && space > 0 && SUMMARY.stream().anyMatch(m -> name.equals(m) || name.startsWith(m + "{"))) {
                out.put(name, Double.parseDouble(line.substring(space + 1)));
            }
        }
        System.err.println("service metrics after the run: " + out);
        return out;
    }

    private int[] prompt(int i) {
        SplittableRandom r = new SplittableRandom(i);
        return r.ints(promptTokens, 0, 256).toArray();
    }

    private GenerateRequest request(int i, String adapter) {
        return GenerateRequest.newBuilder().setAdapter(adapter)
                .setTokens(TokenPrompt.newBuilder().addAllIds(Arrays.stream(prompt(i)).boxed().toList()))
                .setSampling(SamplingParams.newBuilder().setMaxTokens(newTokens).setTemperature(0).setIgnoreEos(true))
                .build();
    }

    /** {@code clients} concurrent clients, each sending {@code perClient} requests one after another. */
    private Load run(InferenceGrpc.InferenceBlockingStub stub, int clients, int perClient) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Double> ttft = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Double> itl = new java.util.concurrent.CopyOnWriteArrayList<>();
        long t0 = System.nanoTime();
        List<Future<Integer>> futures = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            futures.add(pool.submit(() -> {
                int tokens = 0;
                for (int i = 0; i < perClient; i++) {
                    long sent = System.nanoTime();
                    long last = sent;
                    Iterator<GenerateChunk> it = stub.generate(request(client * 100 + i, "bench/a@v1"));
                    int n = 0;
                    while (it.hasNext()) {
                        GenerateChunk chunk = it.next();
                        long now = System.nanoTime();
                        if (chunk.getTokenIdsCount() > 0) {
                            if (n == 0) {
                                ttft.add((now - sent) / 1e9);
                            } else {
                                itl.add((now - last) / 1e9);
                            }
                            n += chunk.getTokenIdsCount();
                            last = now;
                        }
                    }
                    tokens += n;
                }
                return tokens;
            }));
        }
        long tokens = 0;
        for (Future<Integer> f : futures) {
            tokens += f.get();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        return new Load(ttft.stream().mapToDouble(Double::doubleValue).toArray(),
                itl.stream().mapToDouble(Double::doubleValue).toArray(), tokens / seconds);
    }

    /** The same work in-process: the same number of rounds, each a batch of {@code clients} requests. */
    private double runDirect(LanguageModel m, int clients, int perClient) {
        try (var adapter = m.loadAdapter(new ArtifactLayout(work.resolve("store")).version("bench", "a", 1), "bench/a@v1")) {
            long t0 = System.nanoTime();
            long tokens = 0;
            for (int i = 0; i < perClient; i++) {
                List<GenerationRequest> batch = new ArrayList<>();
                for (int c = 0; c < clients; c++) {
                    batch.add(GenerationRequest.of(prompt(c * 100 + i), adapter,
                            dev.livetune.llm.generate.SamplingParams.builder().setMaxNewTokens(newTokens).optIgnoreEos(true).build()));
                }
                tokens += m.generator(new SplittableRandom(0)).generate(batch).stream().mapToInt(r -> r.newIds().length).sum();
            }
            return tokens / ((System.nanoTime() - t0) / 1e9);
        }
    }

    private double firstToken(InferenceGrpc.InferenceBlockingStub stub, String adapter) {
        long sent = System.nanoTime();
        Iterator<GenerateChunk> it = stub.generate(request(7, adapter).toBuilder()
                .setSampling(SamplingParams.newBuilder().setMaxTokens(1).setTemperature(0).setIgnoreEos(true)).build());
        double first = -1;
        while (it.hasNext()) {
            GenerateChunk c = it.next();
            if (first < 0 && c.getTokenIdsCount() > 0) {
                first = (System.nanoTime() - sent) / 1e9;
            }
        }
        return first;
    }

    private static double percentile(double[] values, double p) {
        double[] v = values.clone();
        Arrays.sort(v);
        int rank = (int) Math.ceil(p / 100.0 * v.length);
        return v[Math.max(0, Math.min(v.length - 1, rank - 1))];
    }

    private static void awaitServing(ManagedChannel channel, Process proc) throws InterruptedException {
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
        long deadline = System.currentTimeMillis() + 180_000;
        while (System.currentTimeMillis() < deadline) {
            if (!proc.isAlive()) {
                throw new IllegalStateException("inference-service exited; see its log");
            }
            try {
                if (health.check(HealthCheckRequest.newBuilder().build()).getStatus() == ServingStatus.SERVING) {
                    return;
                }
            } catch (RuntimeException e) {
                // not up yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("inference-service never became SERVING");
    }

    private static void manifest(Path dir, ObjectMapper json) throws Exception {
        ObjectNode m = json.createObjectNode();
        m.put("schema_version", 1);
        m.put("kind", "lora");
        ObjectNode files = m.putObject("files");
        try (Stream<Path> list = Files.list(dir)) {
            for (Path f : list.sorted().toList()) {
                files.put(f.getFileName().toString(), dev.livetune.api.adapter.Sha256.of(f));
            }
        }
        json.writeValue(dir.resolve(ArtifactLayout.ADAPTER_MANIFEST).toFile(), m);
    }
}
