package dev.livetune.llm.cli;

import dev.livetune.llm.LanguageModel;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.generate.GenerationRequest;
import dev.livetune.llm.lora.LoraAdapter;
import dev.livetune.llm.model.ModelConfig;
import dev.livetune.llm.model.RandomModelWriter;
import dev.livetune.llm.perf.BenchWorkload;
import dev.livetune.llm.perf.DecodeTimer;
import dev.livetune.llm.perf.MemoryBandwidth;
import dev.livetune.llm.perf.Stats;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench-decode}: prefill and decode speed of a batch, optionally with a different random
 * LoRA adapter per row, next to the memory-bandwidth limit measured in the same process.
 */
@Command(name = "bench-decode", description = "Print prefill ms and decode tokens/s (medians over --repeats runs).")
final class BenchDecodeCommand extends ModelCommand {

    @Option(names = "--batch", defaultValue = "1", description = "sequences decoded together")
    int batch;

    @Option(names = "--new-tokens", defaultValue = "64", description = "tokens generated per sequence")
    int newTokens;

    @Option(names = "--prompt-tokens", defaultValue = "16", description = "prompt length per sequence")
    int promptTokens;

    @Option(names = "--adapters", defaultValue = "0",
            description = "distinct random LoRA adapters spread over the rows (0 = base model)")
    int adapters;

    @Option(names = "--rank", defaultValue = "16", description = "rank of the random adapters")
    int rank;

    @Option(names = "--repeats", defaultValue = "3", description = "measured runs (after one warm-up)")
    int repeats;

    @Override
    public Integer call() throws IOException {
        try (TorchRuntime rt = runtime.start(); LanguageModel lm = LanguageModel.load(model, rt)) {
            ModelConfig config = lm.decoder().config();
            List<LoraAdapter> loaded = BenchWorkload.randomAdapters(lm,
                    new RandomModelWriter(rt.json(), rt.manager()), adapters, rank);
            try {
                List<GenerationRequest> requests = BenchWorkload.requests(config, batch, promptTokens, newTokens, loaded);
                DecodeTimer.run(lm, requests); // warm-up
                List<DecodeTimer> runs = new ArrayList<>();
                for (int i = 0; i < repeats; i++) {
                    runs.add(DecodeTimer.run(lm, requests));
                }
                double bandwidth = MemoryBandwidth.measure(rt.manager());
                long weightBytes = Stats.weightBytesPerDecodeStep(config);
                double decodeTps = Stats.median(runs.stream().mapToDouble(DecodeTimer::decodeTokensPerSecond).toArray());
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("batch", batch);
                out.put("adapters", adapters);
                out.put("rank", adapters > 0 ? rank : 0);
                out.put("threads", rt.threads());
                out.put("parameters", config.parameterCount());
                out.put("prompt_tokens", promptTokens);
                out.put("new_tokens", newTokens);
                out.put("prefill_ms", Stats.median(runs.stream().mapToDouble(DecodeTimer::prefillMillis).toArray()));
                out.put("decode_tokens_per_s", decodeTps);
                out.put("decode_ms_per_step", Stats.median(runs.stream().mapToDouble(DecodeTimer::millisPerStep).toArray()));
                out.put("weight_bytes_per_step", weightBytes);
                out.put("copy_bandwidth_gb_s", bandwidth / 1e9);
                double limit = bandwidth / weightBytes;
                out.put("bandwidth_limit_steps_per_s", limit);
                out.put("fraction_of_bandwidth_limit", decodeTps / batch / limit);
                out.put("runs_decode_tokens_per_s", runs.stream().mapToDouble(DecodeTimer::decodeTokensPerSecond).toArray());
                print(out);
            } finally {
                loaded.forEach(LoraAdapter::close);
            }
            return 0;
        }
    }
}
