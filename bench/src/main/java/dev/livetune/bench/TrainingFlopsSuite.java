package dev.livetune.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.model.DecoderModel;
import dev.livetune.llm.model.ModelConfig;
import dev.livetune.llm.perf.Stats;
import dev.livetune.llm.train.HyperParameters;
import dev.livetune.llm.train.SftTrainer;
import dev.livetune.llm.train.TokenizedSample;
import dev.livetune.llm.train.TrainableLora;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * LoRA training throughput on a model of about 100M parameters, as a fraction of the float32
 * matrix-multiply rate PyTorch reaches on this machine in the same run: each round times a few
 * training steps (model FLOPs from {@link TrainingFlops}) and then a large matmul of the shape those
 * steps spend their time in; the report gives the median over rounds.
 */
@Command(name = "training-flops", mixinStandardHelpOptions = true)
public final class TrainingFlopsSuite implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "Hugging Face model directory (e.g. the ~100M init-model shape)")
    Path model;

    @Option(names = "--rounds", defaultValue = "5", description = "interleaved rounds")
    int rounds;

    @Option(names = "--steps", defaultValue = "3", description = "training steps per round")
    int steps;

    @Option(names = "--batch", defaultValue = "8", description = "sequences per step")
    int batch;

    @Option(names = "--seq", defaultValue = "256", description = "tokens per sequence (the second half trained)")
    int seq;

    @Option(names = "--rank", defaultValue = "16", description = "LoRA rank (all seven projections)")
    int rank;

    @Option(names = "--threads", defaultValue = "2", description = "PyTorch intra-op threads")
    int threads;

    @Option(names = "--out", defaultValue = "bench/reports/training-flops.json", description = "report file")
    Path out;

    public static void main(String[] args) {
        System.exit(new CommandLine(new TrainingFlopsSuite()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        try (TorchRuntime rt = TorchRuntime.start(threads);
                DecoderModel decoder = DecoderModel.load(model, rt.manager(), json)) {
            ModelConfig c = decoder.config();
            SplittableRandom random = new SplittableRandom(1);
            List<TokenizedSample> samples = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                int[] ids = random.ints(seq, 0, c.vocabSize()).toArray();
                boolean[] trained = new boolean[seq];
                for (int t = seq / 2; t < seq; t++) {
                    trained[t] = true;
                }
                samples.add(new TokenizedSample(ids, trained, "random " + i));
            }
            long trainedRows = samples.stream().mapToLong(TokenizedSample::trainedTokens).sum();
            HyperParameters hp = HyperParameters.of(Map.of("max_steps", steps, "per_device_train_batch_size", batch,
                    "r", rank, "learning_rate", 1e-4, "max_length", seq));
            double flopsPerStep = TrainingFlops.perStep(c, batch, seq, trainedRows, rank, hp.targetModules());
            double[] trainRate = new double[rounds];
            double[] matmulRate = new double[rounds];
            double[] ratio = new double[rounds];
            runSteps(decoder, hp, samples); // warm-up: allocator, kernels
            for (int r = 0; r < rounds; r++) {
                long t0 = System.nanoTime();
                runSteps(decoder, hp, samples);
                double seconds = (System.nanoTime() - t0) / 1e9;
                trainRate[r] = flopsPerStep * steps / seconds;
                matmulRate[r] = matmulFlops(rt.manager(), batch * seq, c.hiddenSize(), c.intermediateSize());
                ratio[r] = trainRate[r] / matmulRate[r];
                System.err.printf("round %d: training %.1f GFLOP/s, matmul %.1f GFLOP/s, ratio %.3f%n", r + 1,
                        trainRate[r] / 1e9, matmulRate[r] / 1e9, ratio[r]);
            }
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("suite", "training-flops");
            report.put("when", Instant.now().toString());
            report.put("model", model.toAbsolutePath().toString());
            report.put("parameters", c.parameterCount());
            report.put("threads", threads);
            report.put("batch", batch);
            report.put("seq", seq);
            report.put("rank", rank);
            report.put("steps_per_round", steps);
            report.put("model_gflop_per_step", flopsPerStep / 1e9);
            report.put("median_training_gflop_s", Stats.median(trainRate) / 1e9);
            report.put("median_matmul_gflop_s", Stats.median(matmulRate) / 1e9);
            report.put("median_fraction_of_matmul_rate", Stats.median(ratio));
            report.put("median_tokens_per_s", Stats.median(trainRate) / flopsPerStep * batch * seq);
            report.put("rounds_fraction", ratio);
            Files.createDirectories(out.toAbsolutePath().getParent());
            json.writeValue(out.toFile(), report);
            System.out.println(json.writeValueAsString(report));
        }
        return 0;
    }

    private static void runSteps(DecoderModel decoder, HyperParameters hp, List<TokenizedSample> samples) {
        try (TrainableLora lora = TrainableLora.create(decoder, hp)) {
            new SftTrainer(decoder, hp, lora, p -> { }).train(samples, null);
        }
    }

    /** FLOP/s of {@code [m, k] × [k, n]} in float32, best of a few repetitions after a warm-up. */
    static double matmulFlops(NDManager parent, int m, int k, int n) {
        try (NDManager mm = parent.newSubManager()) {
            NDArray a = mm.randomNormal(new Shape(m, k));
            NDArray b = mm.randomNormal(new Shape(k, n));
            a.matMul(b).close();
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 5; i++) {
                long t0 = System.nanoTime();
                NDArray c = a.matMul(b);
                c.getFloat(0, 0);
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                c.close();
            }
            return 2.0 * m * k * n / best;
        }
    }
}
