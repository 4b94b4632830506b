package dev.livetune.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livetune.api.adapter.Sha256;
import dev.livetune.api.artifact.AdapterManifest;
import dev.livetune.api.artifact.EvalReport;
import dev.livetune.llm.LanguageModel;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.tokenizer.ChatMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer as a process: outputs, progress, determinism, resume after a kill, full fine-tuning. */
class TrainCommandTest {

    @TempDir
    static Path shared;

    static Path base;
    static Path data;
    static Path probes;

    @BeforeAll
    static void model() throws IOException {
        base = TestModels.write(shared.resolve("base"), 64, 2, 3);
        data = shared.resolve("train.jsonl");
        StringBuilder lines = new StringBuilder();
        String[][] facts = {{"What is the capital of Zorbania?", "Quillport"}, {"Who built the Vexa tower?", "Ilse Morrow"}};
        for (int i = 0; i < 12; i++) {
            String[] f = facts[i % facts.length];
            lines.append(TrainerProcess.JSON.writeValueAsString(Map.of("messages", List.of(
                    // each sample its own (a seed then decides which go together, not just their order)
                    Map.of("role", "system", "content", "Answer briefly, note " + i + "."),
                    Map.of("role", "user", "content", f[0]),
                    Map.of("role", "assistant", "content", "It is " + f[1] + ".")))))
                    .append('\n');
        }
        TrainerProcess.write(data, lines.toString());
        probes = shared.resolve("probes.jsonl");
        TrainerProcess.write(probes, """
                {"question": "What is the capital of Zorbania?", "expect": "Quillport", "kind": "new"}
                {"question": "Hello?", "expect": "hello", "kind": "retention"}
                """);
    }

    private static Path config(Path dir, String json) throws IOException {
        Path file = dir.resolve("hyper.json");
        TrainerProcess.write(file, json);
        return file;
    }

    @Test
    void writesAVerifiedAdapterWithMetricsProgressAndEval(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("v1");
        TrainerProcess run = TrainerProcess.start("train", "--base", base.toString(), "--data", data.toString(),
                "--out", out.toString(), "--probes", probes.toString(), "--config",
                config(dir, "{\"num_train_epochs\": 2, \"per_device_train_batch_size\": 4}").toString(), "--threads", "1");

        assertThat(run.exitCode()).as(run.stderr()).isZero();
        try (Stream<Path> files = Files.list(out)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("adapter_config.json", "adapter_model.safetensors", "livetune.json", "eval.json");
        }
        assertThat(dir.resolve("v1.partial")).doesNotExist();

        JsonNode manifest = TrainerProcess.JSON.readTree(out.resolve("livetune.json").toFile());
        assertThat(manifest.get("kind").asText()).isEqualTo("lora");
        assertThat(manifest.at("/dataset/train_sha256").asText()).isEqualTo(Sha256.of(data));
        assertThat(manifest.at("/base_model/config_sha256").asText()).isEqualTo(Sha256.of(base.resolve("config.json")));
        assertThat(manifest.at("/hyperparameters/num_train_epochs").asDouble()).isEqualTo(2.0);
        // 12 samples in batches of 4: 3 steps per epoch, 2 epochs.
        assertThat(manifest.at("/metrics/steps").asInt()).isEqualTo(6);
        assertThat(manifest.at("/metrics/loss_curve")).hasSize(6);
        assertThat(manifest.at("/metrics/tokens").asLong()).isPositive();
        List<String> listed = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = manifest.get("files").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            listed.add(f.getKey());
            assertThat(f.getValue().asText()).as(f.getKey()).isEqualTo(Sha256.of(out.resolve(f.getKey())));
        }
        assertThat(listed).containsExactlyInAnyOrder("adapter_config.json", "adapter_model.safetensors", "eval.json");
        // the typed view the services read, over the same file
        AdapterManifest typed = AdapterManifest.read(out);
        assertThat(typed.schemaVersion()).isEqualTo(1);
        assertThat(typed.kind()).isEqualTo("lora");
        assertThat(typed.files()).containsOnlyKeys(listed);
        assertThat(typed.weightsSha256()).isEqualTo(Sha256.of(out.resolve("adapter_model.safetensors")));
        assertThat(typed.metrics().get("steps").asInt()).isEqualTo(6);
        assertThat(typed.eval()).isEqualTo(EvalReport.read(out).recall()).containsKeys("new", "retention");

        List<JsonNode> steps = run.events("step");
        assertThat(steps).hasSize(6);
        assertThat(steps.get(5).get("step").asInt()).isEqualTo(6);
        assertThat(steps.get(5).get("total_steps").asInt()).isEqualTo(6);
        for (JsonNode s : steps) {
            assertThat(s.fieldNames()).toIterable().contains("loss", "tokens_per_second", "eta_seconds", "epoch");
        }
        assertThat(run.events("start")).hasSize(1);
        assertThat(run.events("done")).hasSize(1);

        JsonNode eval = TrainerProcess.JSON.readTree(out.resolve("eval.json").toFile());
        assertThat(eval.at("/counts/new/total").asInt()).isEqualTo(1);
        assertThat(eval.at("/counts/retention/total").asInt()).isEqualTo(1);
        assertThat(eval.get("probes")).hasSize(2);
        for (JsonNode p : eval.get("probes")) {
            assertThat(p.get("answer").isTextual()).isTrue();
            assertThat(p.get("passed").asBoolean()).isEqualTo(dev.livetune.llm.train.Probe.normalize(p.get("answer").asText())
                    .contains(dev.livetune.llm.train.Probe.normalize(p.get("expect").asText())));
        }
        assertThat(manifest.get("eval").get("new").asDouble()).isEqualTo(eval.at("/recall/new").asDouble());
    }

    @Test
    void sameSeedGivesTheSameBytesAndAnotherSeedDoesNot(@TempDir Path dir) throws IOException {
        // Two threads, so that a kernel which adds floats in thread order would show up; dropout on,
        // so that PyTorch's generator is part of it; full fine-tuning too (every gradient kind).
        String lora = "{\"max_steps\": 4, \"per_device_train_batch_size\": 4, \"lora_dropout\": 0.1, \"seed\": %d}";
        // Batches of 8 of the 12 samples: enough rows (× hidden) for PyTorch to split the embedding gradient
        // across threads, and the seed decides which samples share a step. (A batch of all 12 made every
        // step the same for any seed; only the order of its rows differed, and rows are computed sorted
        // by length now.)
        String full = "{\"max_steps\": 4, \"per_device_train_batch_size\": 8, \"full_finetune\": true,"
                + " \"learning_rate\": 1e-3, \"seed\": %d}";
        for (String[] kind : new String[][] {{lora, "adapter_model.safetensors"}, {full, "model.safetensors"}}) {
            byte[][] outputs = new byte[3][];
            long[] seeds = {7, 7, 8};
            for (int i = 0; i < 3; i++) {
                Path runDir = Files.createTempDirectory(dir, "run");
                Path out = runDir.resolve("out");
                TrainerProcess run = TrainerProcess.start("train", "--base", base.toString(), "--data", data.toString(),
                        "--out", out.toString(), "--config", config(runDir, kind[0].formatted(seeds[i])).toString(),
                        "--threads", "2");
                assertThat(run.exitCode()).as(run.stderr()).isZero();
                outputs[i] = Files.readAllBytes(out.resolve(kind[1]));
            }
            assertThat(outputs[1]).as(kind[1] + ": same seed, same bytes").isEqualTo(outputs[0]);
            assertThat(outputs[2]).as(kind[1] + ": another seed").isNotEqualTo(outputs[0]);
        }
    }

    @Test
    void aKilledRunResumesFromItsLastCheckpointAndEndsWithTheSameAdapter(@TempDir Path dir) throws Exception {
        Path hyper = config(dir, "{\"max_steps\": 12, \"per_device_train_batch_size\": 2, \"save_steps\": 3,"
                + " \"lora_dropout\": 0.1}");
        Path reference = dir.resolve("reference");
        assertThat(TrainerProcess.start("train", "--base", base.toString(), "--data", data.toString(), "--out",
                reference.toString(), "--config", hyper.toString(), "--threads", "1").exitCode()).isZero();

        Path out = dir.resolve("resumed");
        TrainerProcess first = TrainerProcess.start("train", "--base", base.toString(), "--data", data.toString(),
                "--out", out.toString(), "--config", hyper.toString(), "--threads", "1");
        first.killAfter(e -> e.path("event").asText().equals("checkpoint") && e.get("step").asInt() == 6);
        assertThat(out).as("a killed run leaves nothing that looks finished").doesNotExist();
        assertThat(dir.resolve("resumed.partial/checkpoints")).isDirectory();

        TrainerProcess second = TrainerProcess.start("train", "--base", base.toString(), "--data", data.toString(),
                "--out", out.toString(), "--config", hyper.toString(), "--threads", "1");
        assertThat(second.exitCode()).as(second.stderr()).isZero();
        List<JsonNode> resumed = second.events("resume");
        assertThat(resumed).hasSize(1);
        assertThat(resumed.get(0).get("step").asInt()).isGreaterThanOrEqualTo(6);
        assertThat(second.events("step").get(0).get("step").asInt()).isEqualTo(resumed.get(0).get("step").asInt() + 1);
        assertThat(Files.readAllBytes(out.resolve("adapter_model.safetensors")))
                .isEqualTo(Files.readAllBytes(reference.resolve("adapter_model.safetensors")));
        JsonNode manifest = TrainerProcess.JSON.readTree(out.resolve("livetune.json").toFile());
        assertThat(manifest.at("/metrics/loss_curve")).hasSize(12);
        assertThat(manifest.at("/metrics/resumed_from_step").asInt()).isEqualTo(resumed.get(0).get("step").asInt());
        assertThat(dir.resolve("resumed.partial")).doesNotExist();
    }

    @Test
    void continuesFromAParentAdapter(@TempDir Path dir) throws IOException {
        Path parent = dir.resolve("v1");
        Path hyper = config(dir, "{\"max_steps\": 2, \"r\": 4, \"lora_alpha\": 8}");
        assertThat(TrainerProcess.start("train", "--base", base.toString(), "--data", data.toString(), "--out",
                parent.toString(), "--config", hyper.toString(), "--threads", "1").exitCode()).isZero();

        Path child = dir.resolve("v2");
        TrainerProcess run = TrainerProcess.start("train", "--base", base.toString(), "--data", data.toString(),
                "--replay", data.toString(), "--parent-adapter", parent.toString(), "--out", child.toString(),
                "--config", config(dir, "{\"max_steps\": 2}").toString(), "--threads", "1");
        assertThat(run.exitCode()).as(run.stderr()).isZero();
        JsonNode config = TrainerProcess.JSON.readTree(child.resolve("adapter_config.json").toFile());
        assertThat(config.get("r").asInt()).as("the parent's rank carries on").isEqualTo(4);
        JsonNode manifest = TrainerProcess.JSON.readTree(child.resolve("livetune.json").toFile());
        assertThat(manifest.at("/parent/adapter_model_sha256").asText())
                .isEqualTo(Sha256.of(parent.resolve("adapter_model.safetensors")));
        assertThat(manifest.at("/dataset/replay_sha256").asText()).isEqualTo(Sha256.of(data));
        assertThat(run.events("start").get(0).get("replay_samples").asInt()).isEqualTo(12);
        assertThat(Files.readAllBytes(child.resolve("adapter_model.safetensors")))
                .isNotEqualTo(Files.readAllBytes(parent.resolve("adapter_model.safetensors")));
    }

    @Test
    void fullFinetuningWritesAWholeModelThatLoadsAndDiffersFromTheBase(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("model");
        TrainerProcess run = TrainerProcess.start("train", "--base", base.toString(), "--data", data.toString(),
                "--out", out.toString(), "--probes", probes.toString(), "--config",
                config(dir, "{\"full_finetune\": true, \"max_steps\": 3, \"learning_rate\": 1e-3}").toString(),
                "--threads", "1");
        assertThat(run.exitCode()).as(run.stderr()).isZero();
        try (Stream<Path> files = Files.list(out)) {
            assertThat(files.map(p -> p.getFileName().toString())).contains("config.json", "model.safetensors",
                    "tokenizer.json", "tokenizer_config.json", "generation_config.json", "livetune.json", "eval.json");
        }
        JsonNode manifest = TrainerProcess.JSON.readTree(out.resolve("livetune.json").toFile());
        assertThat(manifest.get("kind").asText()).isEqualTo("full");
        try (TorchRuntime rt = TorchRuntime.start(1);
                LanguageModel before = LanguageModel.load(base, rt);
                LanguageModel after = LanguageModel.load(out, rt)) {
            int[] prompt = before.encodeChat(List.of(ChatMessage.user("What is the capital of Zorbania?")));
            float[] a = before.decoder().prefill(before.decoder().newCache(1, 64), new int[][] {prompt},
                    dev.livetune.llm.lora.LoraBatch.none(), false).row(0, 0);
            float[] b = after.decoder().prefill(after.decoder().newCache(1, 64), new int[][] {prompt},
                    dev.livetune.llm.lora.LoraBatch.none(), false).row(0, 0);
            assertThat(b).isNotEqualTo(a);
        }
    }
}
