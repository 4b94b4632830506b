package dev.livetune.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livetune.llm.LanguageModel;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.generate.GenerationRequest;
import dev.livetune.llm.generate.GenerationResult;
import dev.livetune.llm.generate.SamplingParams;
import dev.livetune.llm.tokenizer.ChatMessage;
import dev.livetune.llm.tools.ToolCall;
import dev.livetune.llm.tools.ToolCallFormat;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Function calling learned from OpenAI's fine-tuning format: samples with {@code tools} and assistant
 * {@code tool_calls} are rendered with the tools, and the trained model, offered the same tool, writes
 * the call in the format its chat template defines, which the runtime reads back.
 */
class ToolTrainingTest {

    private static final String TOOL = "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"parameters\":"
            + " {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}";

    @Test
    void aModelTrainedOnToolCallsWritesThem(@TempDir Path dir) throws IOException {
        Path base = TestModels.write(dir.resolve("base"), 64, 2, 5);
        StringBuilder lines = new StringBuilder();
        String[] cities = {"Oslo", "Rome"};
        for (int i = 0; i < 24; i++) {
            String city = cities[i % 2];
            lines.append("{\"tools\": [").append(TOOL).append("], \"messages\": [{\"role\": \"user\", \"content\": \"Weather in ")
                    .append(city).append("?\"}, {\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"id\": \"call_")
                    .append(i).append("\", \"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"arguments\":")
                    .append(" \"{\\\"city\\\": \\\"").append(city).append("\\\"}\"}}]}]}\n");
        }
        Path data = dir.resolve("tools.jsonl");
        TrainerProcess.write(data, lines.toString());
        Path out = dir.resolve("model");
        Path config = dir.resolve("hyper.json");
        TrainerProcess.write(config, "{\"full_finetune\": true, \"num_train_epochs\": 80, \"learning_rate\": 3e-3,"
                + " \"per_device_train_batch_size\": 8, \"seed\": 1}");
        Path probes = dir.resolve("probes.jsonl");
        StringBuilder probeLines = new StringBuilder();
        for (String city : cities) {
            probeLines.append("{\"question\": \"Weather in ").append(city).append("?\", \"kind\": \"new\", \"tools\": [")
                    .append(TOOL).append("], \"expect\": \"{\\\"name\\\": \\\"get_weather\\\", \\\"arguments\\\": {\\\"city\\\": \\\"")
                    .append(city).append("\\\"}}\"}\n");
        }
        // a call of other arguments does not pass
        probeLines.append("{\"question\": \"Weather in Oslo?\", \"kind\": \"retention\", \"tools\": [").append(TOOL)
                .append("], \"expect\": \"{\\\"name\\\": \\\"get_weather\\\", \\\"arguments\\\": {\\\"city\\\": \\\"Rome\\\"}}\"}\n");
        TrainerProcess.write(probes, probeLines.toString());
        TrainerProcess run = TrainerProcess.start("train", "--base", base.toString(), "--data", data.toString(),
                "--out", out.toString(), "--config", config.toString(), "--probes", probes.toString(), "--threads", "1");
        assertThat(run.exitCode()).as(run.stderr()).isZero();
        var eval = TrainerProcess.JSON.readTree(out.resolve("eval.json").toFile());
        assertThat(eval.at("/recall/new").asDouble()).as(eval.toString()).isEqualTo(1.0);
        assertThat(eval.at("/recall/retention").asDouble()).as(eval.toString()).isEqualTo(0.0);

        try (TorchRuntime rt = TorchRuntime.start(1); LanguageModel model = LanguageModel.load(out, rt)) {
            Map<String, Object> tool = rt.json().readValue(TOOL, LinkedHashMap.class);
            ToolCallFormat format = model.toolCallFormat().orElseThrow();
            for (String city : cities) {
                int[] prompt = model.encodeChat(List.of(ChatMessage.user("Weather in " + city + "?")), List.of(tool), "");
                GenerationResult r = model.generator(new SplittableRandom(1)).generate(List.of(
                        GenerationRequest.of(prompt, null, SamplingParams.greedy(80)))).get(0);
                String reply = model.tokenizer().orElseThrow().decode(r.newIds(), true);
                assertThat(format.parse(reply).calls()).as(reply)
                        .containsExactly(new ToolCall(null, "get_weather", "{\"city\":\"" + city + "\"}"));
            }
        }
    }
}
