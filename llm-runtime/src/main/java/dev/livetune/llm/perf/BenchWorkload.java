package dev.livetune.llm.perf;

import dev.livetune.llm.LanguageModel;
import dev.livetune.llm.generate.GenerationRequest;
import dev.livetune.llm.generate.SamplingParams;
import dev.livetune.llm.lora.LoraAdapter;
import dev.livetune.llm.model.ModelConfig;
import dev.livetune.llm.model.ModelConfigReader;
import dev.livetune.llm.model.RandomModelWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** The inputs benchmarks share: random prompts and random LoRA adapters, all from fixed seeds. */
public final class BenchWorkload {

    private BenchWorkload() {
    }

    /**
     * Writes and loads {@code count} different random adapters on every projection.
     *
     * @return the adapters; the caller closes them
     */
    public static List<LoraAdapter> randomAdapters(LanguageModel lm, RandomModelWriter writer, int count, int rank)
            throws IOException {
        List<LoraAdapter> out = new ArrayList<>();
        if (count <= 0) {
            return out;
        }
        Path dir = Files.createTempDirectory("livetune-bench-adapters");
        for (int i = 0; i < count; i++) {
            Path a = dir.resolve("a" + i);
            writer.writeAdapter(a, lm.decoder().config(), rank, 2.0 * rank, ModelConfigReader.PROJECTIONS, 1000 + i);
            out.add(lm.loadAdapter(a, "bench-" + i));
        }
        return out;
    }

    /**
     * @return {@code batch} greedy requests of random prompts that generate exactly {@code newTokens}
     *         each (eos ignored), adapters assigned round-robin (none when the list is empty)
     */
    public static List<GenerationRequest> requests(ModelConfig config, int batch, int promptTokens, int newTokens,
            List<LoraAdapter> adapters) {
        SplittableRandom random = new SplittableRandom(42);
        SamplingParams p = SamplingParams.builder().setMaxNewTokens(newTokens).optIgnoreEos(true).build();
        List<GenerationRequest> out = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            int[] prompt = random.ints(promptTokens, 0, config.vocabSize()).toArray();
            out.add(GenerationRequest.of(prompt, adapters.isEmpty() ? null : adapters.get(b % adapters.size()), p));
        }
        return out;
    }
}
