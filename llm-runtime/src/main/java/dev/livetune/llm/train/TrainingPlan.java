package dev.livetune.llm.train;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Which samples go into which sequence, micro-batch and optimizer step, decided up front from the
 * seed alone, so a resumed run continues with exactly the batches the interrupted one would have seen.
 *
 * <p>Each epoch shuffles the samples (a Fisher–Yates shuffle seeded by seed and epoch). Without
 * packing, a sequence is one sample (padded on the right); with packing, consecutive samples share a
 * sequence up to {@code max_length}. A micro-batch holds {@code per_device_train_batch_size}
 * sequences, an optimizer step {@code gradient_accumulation_steps} micro-batches; the last step of an
 * epoch takes what is left, as Hugging Face's Trainer does.
 *
 * @param steps  per optimizer step, its micro-batches; per micro-batch, its sequences; per sequence,
 *               the sample indices it holds
 * @param epochs per step, the (fractional) epoch it ends, for progress reports
 */
public record TrainingPlan(List<List<List<int[]>>> steps, double[] epochs) {

    /** Plans a whole run. */
    public static TrainingPlan of(List<TokenizedSample> samples, HyperParameters hp) {
        List<List<List<int[]>>> steps = new ArrayList<>();
        List<Double> epochs = new ArrayList<>();
        int total = -1;
        for (int epoch = 0; total < 0 || steps.size() < total; epoch++) {
            List<List<int[]>> batches = batches(sequences(shuffled(samples.size(), hp.seed(), epoch), samples, hp), hp);
            int perEpoch = hp.stepsPerEpoch(batches.size());
            if (total < 0) {
                total = hp.totalSteps(batches.size());
            }
            for (int s = 0; s < perEpoch && steps.size() < total; s++) {
                int from = s * hp.gradientAccumulationSteps();
                steps.add(List.copyOf(batches.subList(from, Math.min(batches.size(), from + hp.gradientAccumulationSteps()))));
                epochs.add(epoch + (s + 1.0) / perEpoch);
            }
        }
        double[] e = epochs.stream().mapToDouble(Double::doubleValue).toArray();
        return new TrainingPlan(List.copyOf(steps), e);
    }

    private static int[] shuffled(int n, long seed, int epoch) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private static List<int[]> sequences(int[] order, List<TokenizedSample> samples, HyperParameters hp) {
        List<int[]> out = new ArrayList<>();
        if (!hp.packing()) {
            for (int i : order) {
                out.add(new int[] {i});
            }
            return out;
        }
        List<Integer> current = new ArrayList<>();
        int length = 0;
        for (int i : order) {
            int len = samples.get(i).ids().length;
            if (!current.isEmpty() && length + len > hp.maxLength()) {
                out.add(current.stream().mapToInt(Integer::intValue).toArray());
                current.clear();
                length = 0;
            }
            current.add(i);
            length += len;
        }
        if (!current.isEmpty()) {
            out.add(current.stream().mapToInt(Integer::intValue).toArray());
        }
        return out;
    }

    private static List<List<int[]>> batches(List<int[]> sequences, HyperParameters hp) {
        List<List<int[]>> out = new ArrayList<>();
        for (int i = 0; i < sequences.size(); i += hp.batchSize()) {
            out.add(List.copyOf(sequences.subList(i, Math.min(sequences.size(), i + hp.batchSize()))));
        }
        return out;
    }

    /** @return optimizer steps in the run */
    public int totalSteps() {
        return steps.size();
    }
}
