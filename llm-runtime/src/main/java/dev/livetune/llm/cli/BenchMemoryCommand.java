package dev.livetune.llm.cli;

import dev.livetune.llm.LanguageModel;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.generate.GenerationRequest;
import dev.livetune.llm.generate.SamplingParams;
import dev.livetune.llm.generate.Generator;
import dev.livetune.llm.lora.LoraAdapter;
import dev.livetune.llm.model.ModelConfigReader;
import dev.livetune.llm.model.RandomModelWriter;
import dev.livetune.llm.perf.Rss;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench-memory}: process RSS over many short generations, to show native memory does not
 * grow. Run it with a fixed, pre-touched heap ({@code -Xms1g -Xmx1g -XX:+AlwaysPreTouch}) so that
 * Java heap growth does not show up as RSS growth; each sample also records the committed heap.
 */
@Command(name = "bench-memory", description = "Print RSS after the first 100 and after all --generations runs.")
final class BenchMemoryCommand extends ModelCommand {

    @Option(names = "--generations", defaultValue = "10000", description = "generations to run")
    int generations;

    @Option(names = "--new-tokens", defaultValue = "8", description = "tokens per generation")
    int newTokens;

    @Option(names = "--sample-every", defaultValue = "500", description = "RSS sample interval")
    int sampleEvery;

    @Override
    public Integer call() throws IOException {
        try (TorchRuntime rt = runtime.start(); LanguageModel lm = LanguageModel.load(model, rt)) {
            Path dir = Files.createTempDirectory("livetune-bench-memory");
            new RandomModelWriter(rt.json(), rt.manager()).writeAdapter(dir, lm.decoder().config(), 8, 16,
                    ModelConfigReader.PROJECTIONS, 7);
            try (LoraAdapter adapter = lm.loadAdapter(dir, "bench")) {
                Generator g = lm.generator(new SplittableRandom(3));
                SplittableRandom random = new SplittableRandom(5);
                int vocab = lm.decoder().config().vocabSize();
                List<long[]> samples = new ArrayList<>();
                long after100 = 0;
                long start = System.nanoTime();
                for (int i = 1; i <= generations; i++) {
                    // Alternate base and adapter, greedy and sampled, batch of one and two.
                    SamplingParams p = SamplingParams.builder().setMaxNewTokens(newTokens)
                            .optTemperature(i % 2 == 0 ? 0 : 0.8).optTopP(0.9).optIgnoreEos(true).build();
                    List<GenerationRequest> batch = new ArrayList<>();
                    for (int b = 0; b < 1 + i % 2; b++) {
                        batch.add(GenerationRequest.of(random.ints(4 + i % 7, 0, vocab).toArray(),
                                (i + b) % 3 == 0 ? null : adapter, p));
                    }
                    g.generate(batch);
                    if (i == 100) {
                        after100 = Rss.bytes();
                    }
                    if (i % sampleEvery == 0 || i == 100) {
                        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted();
                        samples.add(new long[] {i, Rss.bytes() / (1024 * 1024), heap / (1024 * 1024)});
                    }
                }
                long end = Rss.bytes();
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("generations", generations);
                out.put("rss_mb_after_100", after100 / (1024.0 * 1024));
                out.put("rss_mb_after_all", end / (1024.0 * 1024));
                out.put("growth_mb", (end - after100) / (1024.0 * 1024));
                out.put("seconds", (System.nanoTime() - start) / 1e9);
                out.put("samples_generation_rss_mb_heap_committed_mb", samples);
                print(out);
            }
            return 0;
        }
    }
}
