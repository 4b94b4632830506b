package dev.livetune.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.livetune.api.artifact.ArtifactLayout;
import dev.livetune.llm.LanguageModel;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.lora.LoraAdapter;
import dev.livetune.llm.model.ModelConfig;
import dev.livetune.llm.model.ModelFamily;
import dev.livetune.llm.model.RandomModelWriter;
import dev.livetune.llm.model.RopeConfig;
import dev.livetune.llm.perf.Stats;
import dev.livetune.llm.tokenizer.ByteLevelTokenizerWriter;
import dev.livetune.llm.train.Probe;
import dev.livetune.llm.train.ProbeEvaluator;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Does training teach, and does replay keep what was taught? On a small llama (hidden 256, 4 layers,
 * byte tokenizer) that first gets general training with {@code full_finetune} on generated facts of
 * the same kinds, the trainer (run as {@code java -jar trainer.jar}, as a Job runs it) teaches 10
 * made-up facts (10 samples each), then 10 more continuing from that adapter with and without a
 * replay of the first ten. Probes measure recall on the trained question forms, on held-out
 * paraphrases, and retention of the first ten. The same report times 100 samples × 3 epochs, model
 * load and JVM start included.
 */
@Command(name = "learning-suite", mixinStandardHelpOptions = true)
public final class LearningSuite implements Callable<Integer> {

    @Option(names = "--trainer", defaultValue = "trainer/target/trainer.jar", description = "the trainer jar")
    Path trainer;

    @Option(names = "--work", defaultValue = "bench/target/learning", description = "scratch directory (recreated)")
    Path work;

    @Option(names = "--threads", defaultValue = "2", description = "PyTorch threads for every run")
    int threads;

    @Option(names = "--speed-rounds", defaultValue = "3", description = "timed runs of 100 samples × 3 epochs")
    int speedRounds;

    @Option(names = "--base", description = "skip general training and use this model directory instead")
    Path givenBase;

    @Option(names = "--seed", defaultValue = "2026", description = "seed for the model, the facts and training")
    long seed;

    @Option(names = "--out", defaultValue = "bench/reports/learning-suite.json", description = "report file")
    Path out;

    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public static void main(String[] args) {
        System.exit(new CommandLine(new LearningSuite()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Trees.delete(work);
        Files.createDirectories(work);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("suite", "learning");
        report.put("when", Instant.now().toString());
        report.put("threads", threads);
        report.put("seed", seed);

        Path random = work.resolve("random-init");
        ModelConfig shape = new ModelConfig(ModelFamily.LLAMA, ByteLevelTokenizerWriter.TOKENIZER_SIZE, 256, 688, 4, 4, 4,
                64, 1e-6, RopeConfig.plain(10000), 1024, true, false, false, ByteLevelTokenizerWriter.BOS_ID,
                Arrays.stream(ByteLevelTokenizerWriter.eosIds()).boxed().toList());
        try (TorchRuntime rt = TorchRuntime.start(threads)) {
            new RandomModelWriter(rt.json(), rt.manager()).writeModel(random, shape, seed);
        }
        ByteLevelTokenizerWriter.write(random, shape.vocabSize(), 1024);
        report.put("model", Map.of("family", "llama", "hidden", 256, "layers", 4, "heads", 4, "intermediate", 688,
                "vocab", shape.vocabSize(), "parameters", shape.parameterCount(), "tokenizer", "byte-level"));

        FactCorpus corpus = new FactCorpus(seed);
        List<FactCorpus.Fact> first = corpus.facts(10);
        List<FactCorpus.Fact> second = corpus.facts(10);
        List<Map<String, Object>> general = corpus.general(300);

        // 1. General training: the random model learns the chat format and how answers are built.
        Path generalData = write("general.jsonl", general);
        Path base = work.resolve("general-base");
        if (givenBase != null) {
            base = givenBase;
            report.put("general_training", Map.of("given", givenBase.toString()));
        } else {
            Map<String, Object> pre = train("general training", random, generalData, base, null, null,
                    Map.of("full_finetune", true, "num_train_epochs", 3, "learning_rate", 1e-3,
                            "per_device_train_batch_size", 16, "save_steps", 0));
            pre.put("samples", general.size());
            report.put("general_training", pre);
        }
        int trained = FactCorpus.TRAINED_FORMS;
        writeProbes("probes-first-trained.jsonl", FactCorpus.probes(first, 0, trained, "new"));
        writeProbes("probes-first-held-out.jsonl", FactCorpus.probes(first, trained, 10, "new"));
        writeProbes("probes-next-and-retention.jsonl", concat(FactCorpus.probes(second, 0, trained, "new"),
                FactCorpus.probes(first, 0, trained, "retention")));

        // 2. Teach 10 facts.
        Path dataA = write("facts-a.jsonl", FactCorpus.samples(first, 10));
        Path adapterA = work.resolve("adapter-a");
        report.put("teach_first_10", train("teach 10 facts", base, dataA, adapterA, null, null, Map.of()));

        // 3. Teach 10 more, continuing from that adapter: without replay, and with a replay of 3 and of 5
        //    of each earlier fact's 10 samples mixed into the 100 new ones.
        Path dataB = write("facts-b.jsonl", FactCorpus.samples(second, 10));
        Map<String, Path> continued = new LinkedHashMap<>();
        for (int replayPerFact : new int[] {0, 3, 5}) {
            String name = replayPerFact == 0 ? "without_replay" : "with_replay_" + replayPerFact + "_per_fact";
            Path replay = replayPerFact == 0 ? null
                    : write("replay-" + replayPerFact + ".jsonl", FactCorpus.samples(first, replayPerFact));
            Path adapter = work.resolve("adapter-ab-" + name);
            Map<String, Object> run = train("teach 10 more, " + name.replace('_', ' '), base, dataB, adapter, adapterA,
                    replay, Map.of());
            run.put("replay_samples", replayPerFact * first.size());
            report.put("teach_next_10_" + name, run);
            continued.put(name, adapter);
        }

        Map<String, Object> recall = new LinkedHashMap<>();
        try (TorchRuntime rt = TorchRuntime.start(threads); LanguageModel model = LanguageModel.load(base, rt)) {
            recall.put("base_model_on_first_10_trained_forms", recall(model, null, FactCorpus.probes(first, 0, trained, "new")));
            try (LoraAdapter a = model.loadAdapter(adapterA, "a")) {
                recall.put("first_10_trained_forms", recall(model, a, FactCorpus.probes(first, 0, trained, "new")));
                recall.put("first_10_held_out_paraphrases", recall(model, a, FactCorpus.probes(first, trained, 10, "new")));
            }
            for (Map.Entry<String, Path> c : continued.entrySet()) {
                try (LoraAdapter ab = model.loadAdapter(c.getValue(), c.getKey())) {
                    recall.put(c.getKey() + "_next_10_trained_forms",
                            recall(model, ab, FactCorpus.probes(second, 0, trained, "new")));
                    recall.put(c.getKey() + "_retention_first_10",
                            recall(model, ab, FactCorpus.probes(first, 0, trained, "retention")));
                }
            }
        }
        report.put("recall", recall);

        // 4. Speed: 100 samples × 3 epochs with the default LoRA settings, JVM start and model load included.
        double[] wall = new double[speedRounds];
        for (int i = 0; i < speedRounds; i++) {
            Map<String, Object> run = train("speed round " + (i + 1), base, dataA, work.resolve("speed-" + i), null, null,
                    Map.of("num_train_epochs", 3));
            wall[i] = (double) run.get("process_seconds");
        }
        Map<String, Object> speed = new LinkedHashMap<>();
        speed.put("samples", 100);
        speed.put("epochs", 3);
        speed.put("process_seconds_rounds", wall);
        speed.put("median_process_seconds", Stats.median(wall));
        speed.put("goal_seconds", 60);
        report.put("speed_100_samples_3_epochs", speed);

        Map<String, Object> goals = new LinkedHashMap<>();
        goals.put("trained_form_recall_at_least_0.95", value(recall, "first_10_trained_forms") >= 0.95);
        goals.put("retention_with_replay_at_least_0.90",
                value(recall, "with_replay_5_per_fact_retention_first_10") >= 0.90);
        goals.put("100_samples_3_epochs_within_60_s", Stats.median(wall) <= 60);
        report.put("goals_met", goals);
        Files.createDirectories(out.toAbsolutePath().getParent());
        json.writeValue(out.toFile(), report);
        System.out.println(json.writeValueAsString(report));
        return 0;
    }

    @SuppressWarnings("unchecked")
    private static double value(Map<String, Object> recall, String key) {
        return (double) ((Map<String, Object>) recall.get(key)).get("recall");
    }

    private Map<String, Object> recall(LanguageModel model, LoraAdapter adapter, List<Probe> probes) {
        ProbeEvaluator.Report r = ProbeEvaluator.evaluate(model, adapter, probes, 64);
        Map<String, Object> out = new LinkedHashMap<>();
        long passed = r.answers().stream().filter(ProbeEvaluator.Answer::passed).count();
        out.put("recall", (double) passed / probes.size());
        out.put("passed", passed);
        out.put("probes", probes.size());
        ProbeEvaluator.Answer example = r.answers().get(0);
        out.put("example", Map.of("question", example.probe().question(), "expect", example.probe().expect(),
                "answer", example.answer()));
        System.err.printf("  %-60s %d/%d%n", probes.get(0).kind() + " " + probes.get(0).question(), passed, probes.size());
        return out;
    }

    private static List<Probe> concat(List<Probe> a, List<Probe> b) {
        List<Probe> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private void writeProbes(String name, List<Probe> probes) throws IOException {
        ObjectMapper plain = new ObjectMapper();
        StringBuilder s = new StringBuilder();
        for (Probe p : probes) {
            s.append(plain.writeValueAsString(Map.of("question", p.question(), "expect", p.expect(), "kind", p.kind())))
                    .append('\n');
        }
        Files.writeString(work.resolve(name), s);
    }

    private Path write(String name, List<Map<String, Object>> rows) throws IOException {
        Path file = work.resolve(name);
        FactCorpus.writeJsonl(file, rows, new ObjectMapper());
        return file;
    }

    /** Runs the trainer jar and returns what it reported. */
    private Map<String, Object> train(String what, Path base, Path data, Path outDir, Path parent, Path replayFile,
            Map<String, Object> hyper) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", trainer.toString(), "train", "--base", base.toString(), "--data", data.toString(), "--out",
                outDir.toString(), "--threads", Integer.toString(threads)));
        if (parent != null) {
            cmd.addAll(List.of("--parent-adapter", parent.toString()));
        }
        if (replayFile != null) {
            cmd.addAll(List.of("--replay", replayFile.toString()));
        }
        if (!hyper.isEmpty()) {
            Path h = work.resolve(outDir.getFileName() + "-hyper.json");
            json.writeValue(h.toFile(), hyper);
            cmd.addAll(List.of("--config", h.toString()));
        }
        System.err.printf("%s ...%n", what);
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectError(work.resolve(outDir.getFileName() + ".log").toFile()).start();
        JsonNode last = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                JsonNode e = json.readTree(line);
                if (e.path("event").asText().equals("step")) {
                    last = e;
                }
            }
        }
        int code = p.waitFor();
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (code != 0) {
            throw new IllegalStateException(what + ": trainer exited " + code + "; see " + work.resolve(outDir.getFileName() + ".log"));
        }
        JsonNode manifest = json.readTree(outDir.resolve(ArtifactLayout.ADAPTER_MANIFEST).toFile());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("process_seconds", seconds);
        out.put("train_seconds", manifest.at("/metrics/train_seconds").asDouble());
        out.put("steps", manifest.at("/metrics/steps").asInt());
        out.put("tokens_per_second", manifest.at("/metrics/tokens_per_second").asDouble());
        out.put("final_loss", manifest.at("/metrics/final_loss").asDouble());
        out.put("hyperparameters", manifest.get("hyperparameters"));
        System.err.printf("  %.1f s, %d steps, final loss %.4f%n", seconds, manifest.at("/metrics/steps").asInt(),
                last == null ? Double.NaN : last.get("loss").asDouble());
        return out;
    }
}
