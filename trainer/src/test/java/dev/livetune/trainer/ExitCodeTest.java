package dev.livetune.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exit statuses a Job controller acts on: 64 for input that will never work (with a message that
 * says what and where), 75 for a failure worth retrying. No failed run leaves an output behind.
 */
class ExitCodeTest {

    @TempDir
    static Path shared;

    static Path base;
    static Path data;

    @BeforeAll
    static void model() throws IOException {
        base = TestModels.write(shared.resolve("base"), 64, 2, 5);
        data = shared.resolve("train.jsonl");
        TrainerProcess.write(data, """
                {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}
                """);
    }

    private static TrainerProcess train(Path out, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("train", "--base", base.toString(), "--out",
                out.toString(), "--threads", "1"));
        args.addAll(List.of(more));
        return TrainerProcess.start(args.toArray(String[]::new));
    }

    private static void assertInvalid(TrainerProcess run, Path out, String... messageParts) {
        assertThat(run.exitCode()).as(run.stderr()).isEqualTo(ExitCodes.INVALID_INPUT);
        List<JsonNode> errors = run.events("error");
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0).get("exit_code").asInt()).isEqualTo(64);
        assertThat(errors.get(0).get("message").asText()).contains(messageParts);
        assertThat(run.stderr()).contains(messageParts);
        assertThat(out).doesNotExist();
    }

    @Test
    void aBadJsonlLineIsInvalidInputNamingTheLine(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.jsonl");
        TrainerProcess.write(bad, """
                {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}

                {"messages": [{"role": "user", "content": "Hi"}, {"role": "robot", "content": "beep"}]}
                """);
        Path out = dir.resolve("out");
        assertInvalid(train(out, "--data", bad.toString()), out, "bad.jsonl line 3", "role");

        TrainerProcess.write(bad, "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}\nnot json\n");
        assertInvalid(train(out, "--data", bad.toString()), out, "bad.jsonl line 1", "no assistant message");
        TrainerProcess.write(bad, "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, "
                + "{\"role\": \"assistant\", \"content\": \"Hello\"}]}\nnot json\n");
        assertInvalid(train(out, "--data", bad.toString()), out, "bad.jsonl line 2", "not valid JSON");
    }

    @Test
    void unknownOrBadHyperparametersAreInvalidInput(@TempDir Path dir) throws IOException {
        Path hyper = dir.resolve("hyper.json");
        Path out = dir.resolve("out");
        TrainerProcess.write(hyper, "{\"learning_rate\": 1e-4, \"lerning_rate\": 2}");
        assertInvalid(train(out, "--data", data.toString(), "--config", hyper.toString()), out, "lerning_rate",
                "unknown key");
        TrainerProcess.write(hyper, "{\"per_device_train_batch_size\": 0}");
        assertInvalid(train(out, "--data", data.toString(), "--config", hyper.toString()), out,
                "per_device_train_batch_size");
        TrainerProcess.write(hyper, "{\"lr_scheduler_type\": \"polynomial\"}");
        assertInvalid(train(out, "--data", data.toString(), "--config", hyper.toString()), out, "polynomial");
    }

    /** This build's PyTorch is a CPU one: asking for a CUDA device is invalid input, said before anything is read. */
    @Test
    void aCudaDeviceThatIsNotThereIsInvalidInput(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        assertInvalid(train(out, "--data", data.toString(), "--device", "cuda"), out, "device 'cuda' is not there",
                "0 CUDA device(s)");
    }

    @Test
    void anAdapterForAnotherBaseIsInvalidInput(@TempDir Path dir) throws IOException {
        Path otherBase = TestModels.write(dir.resolve("other"), 128, 2, 9);
        Path adapter = dir.resolve("adapter");
        assertThat(TrainerProcess.start("train", "--base", otherBase.toString(), "--data", data.toString(), "--out",
                adapter.toString(), "--threads", "1", "--config", writeHyper(dir, "{\"max_steps\": 1}")).exitCode())
                .isZero();
        Path out = dir.resolve("out");
        assertInvalid(train(out, "--data", data.toString(), "--parent-adapter", adapter.toString()), out,
                "adapter_model.safetensors", "shape");
    }

    @Test
    void anExistingOutputOrAMissingOptionIsInvalidInput(@TempDir Path dir) throws IOException {
        Path out = Files.createDirectory(dir.resolve("v1"));
        assertInvalid(train(out, "--data", data.toString()), dir.resolve("never"), "already exists");
        TrainerProcess run = TrainerProcess.start("train", "--data", data.toString(), "--out", dir.resolve("x").toString());
        assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(run.stderr()).contains("--base");
    }

    @Test
    void runningOutOfMemoryIsTransient(@TempDir Path dir) throws IOException {
        // A dataset far larger than the heap it is given: the run fails for want of memory, which a
        // retry with more memory (or on another node) cures, so it must not be reported as bad input.
        Path big = dir.resolve("big.jsonl");
        String line = "{\"messages\": [{\"role\": \"user\", \"content\": \"" + "x".repeat(2000)
                + "\"}, {\"role\": \"assistant\", \"content\": \"ok\"}]}\n";
        try (var w = Files.newBufferedWriter(big)) {
            for (int i = 0; i < 40_000; i++) {
                w.write(line);
            }
        }
        Path out = dir.resolve("out");
        TrainerProcess run = TrainerProcess.start(List.of("-Xmx48m"), "train", "--base", base.toString(), "--data",
                big.toString(), "--out", out.toString(), "--threads", "1");
        assertThat(run.exitCode()).as(run.stderr()).isEqualTo(ExitCodes.TRANSIENT);
        assertThat(run.events("error").get(0).get("exit_code").asInt()).isEqualTo(75);
        assertThat(out).doesNotExist();
    }

    private static String writeHyper(Path dir, String json) throws IOException {
        Path f = dir.resolve("h.json");
        TrainerProcess.write(f, json);
        return f.toString();
    }
}
