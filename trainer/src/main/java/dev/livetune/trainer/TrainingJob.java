package dev.livetune.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.api.adapter.Sha256;
import dev.livetune.api.artifact.ArtifactLayout;
import dev.livetune.llm.LanguageModel;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.lora.LoraAdapter;
import dev.livetune.llm.tokenizer.TextTokenizer;
import dev.livetune.llm.train.ChatJsonl;
import dev.livetune.llm.train.FullModelParameters;
import dev.livetune.llm.train.HyperParameters;
import dev.livetune.llm.train.InvalidTrainingInputException;
import dev.livetune.llm.train.Probe;
import dev.livetune.llm.train.ProbeEvaluator;
import dev.livetune.llm.train.SampleEncoder;
import dev.livetune.llm.train.SftTrainer;
import dev.livetune.llm.train.TokenizedSample;
import dev.livetune.llm.train.Trainable;
import dev.livetune.llm.train.TrainableLora;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * One training run, start to finish: read and check every input, train (resuming from the last
 * checkpoint of an interrupted run with the same inputs), save, answer the probes, write
 * the manifest ({@code AdapterManifest}), then move the finished directory into place.
 *
 * <p>Everything is written under {@code <out>.partial} and renamed to {@code <out>} only once
 * complete, so a crashed or killed run never leaves anything that looks finished; the next run with
 * the same inputs picks up its checkpoints there.
 */
final class TrainingJob {

    /** Everything the command line gives. */
    record Request(Path base, Path data, Path out, Path parentAdapter, Path replay, Path probes, Path config,
            int threads, String device) {
        Request(Path base, Path data, Path out, Path parentAdapter, Path replay, Path probes, Path config, int threads) {
            this(base, data, out, parentAdapter, replay, probes, config, threads, "auto");
        }
    }

    private final Request request;
    private final Progress progress;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    TrainingJob(Request request, Progress progress) {
        this.request = request;
        this.progress = progress;
    }

    void run() throws IOException {
        Path target = request.out().toAbsolutePath().normalize();
        Files.createDirectories(target.getParent());
        // One trainer per output: a second one (a retry while an orphaned run still works) waits its turn.
        try (java.nio.channels.FileChannel lockFile = java.nio.channels.FileChannel.open(
                target.resolveSibling("." + target.getFileName() + ".lock"), java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE);
                java.nio.channels.FileLock lock = lockFile.tryLock()) {
            if (lock == null) {
                throw new IOException("another trainer is writing " + target + "; retry when it has ended");
            }
            runLocked();
        }
    }

    private void runLocked() throws IOException {
        long began = System.nanoTime();
        Request r = request;
        Path out = r.out().toAbsolutePath().normalize();
        if (Files.exists(out)) {
            throw new InvalidTrainingInputException(out + " already exists; the trainer never replaces an output"
                    + " (versions are immutable): choose a new --out");
        }
        requireDirectory(r.base(), "--base");
        if (r.parentAdapter() != null) {
            requireDirectory(r.parentAdapter(), "--parent-adapter");
        }
        HyperParameters hp = r.config() == null ? HyperParameters.defaults()
                : HyperParameters.read(readJson(r.config()), r.config().getFileName().toString());
        if (hp.fullFinetune() && r.parentAdapter() != null) {
            throw new InvalidTrainingInputException("full_finetune trains a whole model; it cannot continue a"
                    + " --parent-adapter (merge the adapter into a model directory first)");
        }
        List<ChatJsonl.Sample> train = ChatJsonl.read(r.data(), json);
        List<ChatJsonl.Sample> replay = r.replay() == null ? List.of() : ChatJsonl.read(r.replay(), json);
        List<Probe> probes = r.probes() == null ? List.of() : Probe.read(r.probes(), json);

        ObjectNode identity = identity(r, hp);
        String fingerprint = Sha256.of(json.writeValueAsBytes(identity));
        Path partial = out.resolveSibling(out.getFileName() + ".partial");
        prepare(partial, fingerprint);

        progress.event("start", o -> {
            o.put("kind", hp.fullFinetune() ? "full" : "lora");
            o.put("samples", train.size());
            o.put("replay_samples", replay.size());
            o.put("probes", probes.size());
        });
        progress.log("loading %s", r.base());
        // Training computes in float32 on every device (see SftTrainer): a half-precision base is widened.
        try (TorchRuntime runtime = TorchRuntime.start(r.threads(), null, r.device(), "float32");
                LanguageModel model = LanguageModel.load(r.base(), runtime)) {
            TextTokenizer tokenizer = model.tokenizer().orElseThrow(() -> new InvalidTrainingInputException(
                    r.base() + " has no tokenizer.json, so chat samples cannot be tokenized"));
            SampleEncoder encoder = new SampleEncoder(tokenizer, model.chatTemplate(), hp.maxLength());
            List<TokenizedSample> samples = new ArrayList<>();
            for (ChatJsonl.Sample s : train) {
                samples.add(encoder.encode(s.messages(), s.tools(), r.data().getFileName() + " line " + s.line()));
            }
            for (ChatJsonl.Sample s : replay) {
                samples.add(encoder.encode(s.messages(), s.tools(), r.replay().getFileName() + " line " + s.line()));
            }
            SftTrainer.Result result;
            try (Trainable trainable = trainable(model, hp)) {
                result = train(model, hp, trainable, samples, partial);
                trainable.save(partial, r.base().toAbsolutePath());
            }
            SftTrainer.deleteCheckpoints(partial.resolve("checkpoints"));
            ObjectNode eval = null;
            if (!probes.isEmpty()) {
                eval = evaluate(model, hp, probes, partial, runtime);
                json.writeValue(partial.resolve(ArtifactLayout.EVAL_REPORT).toFile(), eval);
            }
            writeManifest(partial, identity, hp, result, eval, (System.nanoTime() - began) / 1e9);
        }
        Files.move(partial, out, StandardCopyOption.ATOMIC_MOVE);
        double wall = (System.nanoTime() - began) / 1e9;
        progress.event("done", o -> {
            o.put("out", out.toString());
            o.put("wall_seconds", wall);
        });
        progress.log("done in %.1f s: %s", wall, out);
    }

    private Trainable trainable(LanguageModel model, HyperParameters hp) {
        if (hp.fullFinetune()) {
            return FullModelParameters.load(request.base(), model.decoder(), json);
        }
        if (request.parentAdapter() == null) {
            return TrainableLora.create(model.decoder(), hp);
        }
        TrainableLora parent = TrainableLora.load(request.parentAdapter(), model.decoder(), hp.loraDropout(), json);
        List<String> conflicts = new ArrayList<>();
        if (hp.explicit().contains("r") && hp.r() != parent.rank()) {
            conflicts.add("r " + hp.r() + " vs the parent's " + parent.rank());
        }
        if (hp.explicit().contains("lora_alpha") && hp.loraAlpha() != parent.alpha()) {
            conflicts.add("lora_alpha " + hp.loraAlpha() + " vs the parent's " + parent.alpha());
        }
        if (hp.explicit().contains("use_rslora") && hp.useRslora() != parent.rsLora()) {
            conflicts.add("use_rslora " + hp.useRslora() + " vs the parent's " + parent.rsLora());
        }
        if (hp.explicit().contains("target_modules")
                && !new java.util.HashSet<>(hp.targetModules()).equals(new java.util.HashSet<>(parent.modules()))) {
            conflicts.add("target_modules " + hp.targetModules() + " vs the parent's " + parent.modules());
        }
        if (!conflicts.isEmpty()) {
            parent.close();
            throw new InvalidTrainingInputException("hyper.json contradicts the parent adapter, whose shape training"
                    + " continues: " + String.join("; ", conflicts));
        }
        return parent;
    }

    private SftTrainer.Result train(LanguageModel model, HyperParameters hp, Trainable trainable,
            List<TokenizedSample> samples, Path partial) {
        SftTrainer.Listener listener = new SftTrainer.Listener() {
            @Override
            public void onStep(SftTrainer.Progress p) {
                progress.event("step", o -> {
                    o.put("step", p.step());
                    o.put("total_steps", p.totalSteps());
                    o.put("epoch", round(p.epoch(), 4));
                    o.put("loss", round(p.loss(), 6));
                    o.put("learning_rate", p.learningRate());
                    if (Double.isFinite(p.gradNorm())) {
                        o.put("grad_norm", round(p.gradNorm(), 6));
                    }
                    o.put("tokens", p.tokens());
                    o.put("tokens_per_second", round(p.tokensPerSecond(), 1));
                    o.put("elapsed_seconds", round(p.elapsedSeconds(), 3));
                    o.put("eta_seconds", round(p.etaSeconds(), 1));
                });
                int every = Math.max(1, p.totalSteps() / 20);
                if (p.step() % every == 0 || p.step() == p.totalSteps()) {
                    progress.log("step %d/%d epoch %.2f loss %.4f lr %.2e %.0f tok/s eta %.0f s", p.step(),
                            p.totalSteps(), p.epoch(), p.loss(), p.learningRate(), p.tokensPerSecond(), p.etaSeconds());
                }
            }

            @Override
            public void onResume(int step) {
                progress.event("resume", o -> o.put("step", step));
                progress.log("resuming from the checkpoint at step %d", step);
            }

            @Override
            public void onCheckpoint(int step, Path dir) {
                progress.event("checkpoint", o -> o.put("step", step));
            }

            @Override
            public void onSkippedStep(int step, double gradientNorm, List<String> parameters) {
                progress.event("skipped_step", o -> {
                    o.put("step", step);
                    o.put("grad_norm", Double.toString(gradientNorm));
                    o.put("parameters", String.join(",", parameters));
                });
                progress.log("step %d: the gradient norm is %s (%s); its update is left out", step, gradientNorm,
                        String.join(", ", parameters));
            }
        };
        progress.log("training on %d samples (%s)", samples.size(), hp.fullFinetune() ? "all weights" : "LoRA r=" + hp.r());
        return new SftTrainer(model.decoder(), hp, trainable, listener).train(samples, partial.resolve("checkpoints"));
    }

    private ObjectNode evaluate(LanguageModel model, HyperParameters hp, List<Probe> probes, Path partial,
            TorchRuntime runtime) {
        progress.log("answering %d probes", probes.size());
        ProbeEvaluator.Report report;
        if (hp.fullFinetune()) {
            try (LanguageModel trained = LanguageModel.load(partial, runtime)) {
                report = ProbeEvaluator.evaluate(trained, null, probes, hp.probeMaxNewTokens());
            }
        } else {
            try (LoraAdapter adapter = model.loadAdapter(partial, "trained")) {
                report = ProbeEvaluator.evaluate(model, adapter, probes, hp.probeMaxNewTokens());
            }
        }
        ObjectNode eval = report.toJson(json);
        progress.event("eval", o -> o.set("recall", eval.get("recall")));
        report.recall().forEach((k, v) -> progress.log("recall %s: %.3f", k, v));
        return eval;
    }

    /** What makes two runs the same run: a checkpoint is only resumed by a run with the same identity. */
    private ObjectNode identity(Request r, HyperParameters hp) throws IOException {
        ObjectNode id = json.createObjectNode();
        ObjectNode base = id.putObject("base_model");
        base.put("path", r.base().toAbsolutePath().normalize().toString());
        Path config = r.base().resolve("config.json");
        if (Files.isRegularFile(config)) {
            base.put("config_sha256", Sha256.of(config));
            JsonNode c = readJson(config);
            if (c.path("architectures").isArray() && !c.path("architectures").isEmpty()) {
                base.put("architecture", c.path("architectures").get(0).asText());
            }
        }
        ObjectNode weights = base.putObject("weights_sha256");
        for (Path f : filesEndingWith(r.base(), ".safetensors")) {
            weights.put(f.getFileName().toString(), Sha256.of(f));
        }
        if (r.parentAdapter() != null) {
            ObjectNode parent = id.putObject("parent");
            parent.put("path", r.parentAdapter().toAbsolutePath().normalize().toString());
            parent.put("adapter_model_sha256", Sha256.of(r.parentAdapter().resolve("adapter_model.safetensors")));
            Path manifest = r.parentAdapter().resolve(ArtifactLayout.ADAPTER_MANIFEST);
            if (Files.isRegularFile(manifest)) {
                parent.put("livetune_json_sha256", Sha256.of(manifest));
            }
        } else {
            id.putNull("parent");
        }
        ObjectNode dataset = id.putObject("dataset");
        dataset.put("train_sha256", Sha256.of(r.data()));
        dataset.put("replay_sha256", r.replay() == null ? null : Sha256.of(r.replay()));
        dataset.put("probes_sha256", r.probes() == null ? null : Sha256.of(r.probes()));
        id.set("hyperparameters", hp.toJson(json));
        return id;
    }

    private void prepare(Path partial, String fingerprint) throws IOException {
        Path run = partial.resolve("run.json");
        if (Files.isDirectory(partial)) {
            String previous = Files.isRegularFile(run) ? readJson(run).path("fingerprint").asText() : "";
            if (previous.equals(fingerprint)) {
                return;
            }
            progress.log("%s holds an interrupted run with other inputs: starting over", partial);
            SftTrainer.deleteCheckpoints(partial);
        }
        Files.createDirectories(partial);
        ObjectNode o = json.createObjectNode();
        o.put("fingerprint", fingerprint);
        o.put("started", Instant.now().toString());
        Files.writeString(run, json.writeValueAsString(o), StandardCharsets.UTF_8);
    }

    private void writeManifest(Path partial, ObjectNode identity, HyperParameters hp, SftTrainer.Result result,
            ObjectNode eval, double wallSeconds) throws IOException {
        Files.deleteIfExists(partial.resolve("run.json"));
        ObjectNode m = json.createObjectNode();
        m.put("schema_version", 1);
        m.put("kind", hp.fullFinetune() ? "full" : "lora");
        m.put("created", Instant.now().toString());
        m.setAll(identity);
        ObjectNode metrics = m.putObject("metrics");
        metrics.put("steps", result.steps());
        metrics.put("tokens", result.tokens());
        metrics.put("trained_tokens", result.trainedTokens());
        metrics.put("final_loss", result.losses().isEmpty() ? null : result.losses().get(result.losses().size() - 1));
        ArrayNode curve = metrics.putArray("loss_curve");
        result.losses().forEach(l -> curve.add(round(l, 6)));
        metrics.put("train_seconds", round(result.trainSeconds(), 3));
        metrics.put("wall_seconds", round(wallSeconds, 3));
        metrics.put("tokens_per_second", round(result.tokensPerSecond(), 1));
        metrics.put("resumed_from_step", result.resumedFromStep());
        if (eval != null) {
            m.set("eval", eval.get("recall"));
        }
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(partial)) {
            for (Path f : list.filter(Files::isRegularFile).toList()) {
                files.put(f.getFileName().toString(), Sha256.of(f));
            }
        }
        ObjectNode f = m.putObject("files");
        files.forEach(f::put);
        Path tmp = partial.resolve("." + ArtifactLayout.ADAPTER_MANIFEST + ".tmp");
        json.writeValue(tmp.toFile(), m);
        Files.move(tmp, partial.resolve(ArtifactLayout.ADAPTER_MANIFEST), StandardCopyOption.ATOMIC_MOVE);
    }

    private static List<Path> filesEndingWith(Path dir, String suffix) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted(Comparator.naturalOrder())
                    .toList();
        }
    }

    private JsonNode readJson(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidTrainingInputException(file + ": file not found");
        }
        try {
            return json.readTree(file.toFile());
        } catch (IOException e) {
            throw new InvalidTrainingInputException(file + ": not valid JSON (" + e.getMessage() + ")", e);
        }
    }

    private static void requireDirectory(Path dir, String option) {
        if (!Files.isDirectory(dir)) {
            throw new InvalidTrainingInputException(option + " " + dir + ": no such directory");
        }
    }

    /** {@code v} to {@code digits} decimals; a value too large for that (past 2^63 / 10^digits) as it is. */
    static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.abs(v * f) < 0x1p62 ? Math.round(v * f) / f : v;
    }
}
