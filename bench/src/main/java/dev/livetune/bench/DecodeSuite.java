package dev.livetune.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Decode throughput of llm-runtime, as ratios measured in one process: batch 1 against the
 * memory-bandwidth limit, batch 8 against batch 1, and 8 different LoRA adapters in a batch of 8
 * against the same batch without adapters. Contenders run interleaved, round by round, so a noisy
 * neighbour slows all of them alike; every figure is a median over rounds.
 */
@Command(name = "decode-suite", mixinStandardHelpOptions = true)
public final class DecodeSuite implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "Hugging Face model directory")
    Path model;

    @Option(names = "--rounds", defaultValue = "7", description = "interleaved rounds")
    int rounds;

    @Option(names = "--new-tokens", defaultValue = "64", description = "tokens per sequence")
    int newTokens;

    @Option(names = "--prompt-tokens", defaultValue = "16", description = "prompt length")
    int promptTokens;

    @Option(names = "--threads", defaultValue = "2", description = "PyTorch intra-op threads")
    int threads;

    @Option(names = "--rank", defaultValue = "16", description = "rank of the 8 adapters")
    int rank;

    @Option(names = "--out", defaultValue = "bench/reports/decode-suite.json", description = "report file")
    Path out;

    @Option(names = "--jlama", description = "bench/jlama/run.sh: also run Jlama (native and Panama kernels) "
            + "on the same model, prompt length, token count and threads in every round")
    Path jlama;

    public static void main(String[] args) {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        System.setProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", "off");
        System.exit(new CommandLine(new DecodeSuite()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        try (TorchRuntime rt = TorchRuntime.start(threads); LanguageModel lm = LanguageModel.load(model, rt)) {
            ModelConfig config = lm.decoder().config();
            List<LoraAdapter> adapters = BenchWorkload.randomAdapters(lm,
                    new RandomModelWriter(rt.json(), rt.manager()), 8, rank);
            List<GenerationRequest> one = BenchWorkload.requests(config, 1, promptTokens, newTokens, List.of());
            List<GenerationRequest> eight = BenchWorkload.requests(config, 8, promptTokens, newTokens, List.of());
            List<GenerationRequest> eightLora = BenchWorkload.requests(config, 8, promptTokens, newTokens, adapters);
            for (List<GenerationRequest> warm : List.of(one, eight, eightLora)) {
                DecodeTimer.run(lm, warm);
            }
            long weightBytes = Stats.weightBytesPerDecodeStep(config);
            List<Map<String, Object>> perRound = new ArrayList<>();
            double[] b1 = new double[rounds];
            double[] b8 = new double[rounds];
            double[] b8Lora = new double[rounds];
            double[] bandwidth = new double[rounds];
            double[] fraction = new double[rounds];
            double[] batchGain = new double[rounds];
            double[] loraCost = new double[rounds];
            double[] jlamaNative = new double[rounds];
            double[] jlamaPanama = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                bandwidth[r] = MemoryBandwidth.measure(rt.manager());
                b1[r] = DecodeTimer.run(lm, one).decodeTokensPerSecond();
                b8[r] = DecodeTimer.run(lm, eight).decodeTokensPerSecond();
                b8Lora[r] = DecodeTimer.run(lm, eightLora).decodeTokensPerSecond();
                if (jlama != null) {
                    jlamaNative[r] = JlamaRun.decodeTokensPerSecond(jlama, model, promptTokens, newTokens, threads, false);
                    jlamaPanama[r] = JlamaRun.decodeTokensPerSecond(jlama, model, promptTokens, newTokens, threads, true);
                }
                fraction[r] = b1[r] / (bandwidth[r] / weightBytes);
                batchGain[r] = b8[r] / b1[r];
                loraCost[r] = b8Lora[r] / b8[r];
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("copy_bandwidth_gb_s", bandwidth[r] / 1e9);
                row.put("batch1_tokens_per_s", b1[r]);
                row.put("batch8_tokens_per_s", b8[r]);
                row.put("batch8_8adapters_tokens_per_s", b8Lora[r]);
                if (jlama != null) {
                    row.put("jlama_native_batch1_tokens_per_s", jlamaNative[r]);
                    row.put("jlama_panama_batch1_tokens_per_s", jlamaPanama[r]);
                }
                perRound.add(row);
                System.err.printf("round %d: b1 %.1f tok/s, b8 %.1f, b8+lora %.1f, copy %.1f GB/s%n",
                        r + 1, b1[r], b8[r], b8Lora[r], bandwidth[r] / 1e9);
            }
            adapters.forEach(LoraAdapter::close);
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("when", Instant.now().toString());
            report.put("model", model.toString());
            report.put("parameters", config.parameterCount());
            report.put("threads", rt.threads());
            report.put("cores", Runtime.getRuntime().availableProcessors());
            report.put("prompt_tokens", promptTokens);
            report.put("new_tokens", newTokens);
            report.put("rounds", rounds);
            report.put("weight_bytes_per_step", weightBytes);
            report.put("median_copy_bandwidth_gb_s", Stats.median(bandwidth) / 1e9);
            report.put("median_batch1_tokens_per_s", Stats.median(b1));
            report.put("median_batch1_fraction_of_bandwidth_limit", Stats.median(fraction));
            report.put("median_batch8_tokens_per_s", Stats.median(b8));
            report.put("median_batch8_over_batch1", Stats.median(batchGain));
            report.put("median_batch8_8adapters_tokens_per_s", Stats.median(b8Lora));
            report.put("median_8adapters_over_no_adapter", Stats.median(loraCost));
            report.put("adapter_rank", rank);
            if (jlama != null) {
                double[] overNative = new double[rounds];
                double[] overPanama = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    overNative[r] = b1[r] / jlamaNative[r];
                    overPanama[r] = b1[r] / jlamaPanama[r];
                }
                report.put("median_jlama_native_batch1_tokens_per_s", Stats.median(jlamaNative));
                report.put("median_jlama_panama_batch1_tokens_per_s", Stats.median(jlamaPanama));
                report.put("median_batch1_over_jlama_native", Stats.median(overNative));
                report.put("median_batch1_over_jlama_panama", Stats.median(overPanama));
            }
            report.put("rounds_detail", perRound);
            Files.createDirectories(out.toAbsolutePath().getParent());
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), report);
            System.out.printf("""
                    | measure | median | goal |
                    |---|---|---|
                    | batch 1 decode | %.1f tok/s = %.2f of the bandwidth limit (%.1f GB/s copy, %.0f MB/step) | >= 0.50 |
                    | batch 8 aggregate | %.1f tok/s = %.2fx batch 1 | >= 4x |
                    | batch 8, 8 adapters r=%d | %.1f tok/s = %.2fx no-adapter batch 8 | >= 0.8x |
                    %n""", Stats.median(b1), Stats.median(fraction), Stats.median(bandwidth) / 1e9, weightBytes / 1e6,
                    Stats.median(b8), Stats.median(batchGain), rank, Stats.median(b8Lora), Stats.median(loraCost));
            if (jlama != null) {
                System.out.printf("| Jlama 0.8.4, batch 1 | native %.1f tok/s, Panama %.1f tok/s: ours is %.2fx / %.2fx | >= 1.0x |%n%n",
                        Stats.median(jlamaNative), Stats.median(jlamaPanama),
                        report.get("median_batch1_over_jlama_native"), report.get("median_batch1_over_jlama_panama"));
            }
            System.out.println("report: " + out);
            return 0;
        }
    }
}
