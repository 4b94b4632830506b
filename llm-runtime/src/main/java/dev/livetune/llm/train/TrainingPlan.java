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
 * sequences: in the shuffled order, or with {@code group_by_length} sequences of similar length (each
 * run of {@value #MEGABATCH} micro-batches of the shuffled order sorted by length and cut into
 * micro-batches, whose order is then shuffled again, so little of a step is padding and the steps do
 * not run from long to short; Hugging Face's length-grouped sampler sorts the same way but keeps the
 * megabatches in order). An optimizer step holds {@code gradient_accumulation_steps} micro-batches;
 * the last step of an epoch takes what is left, as Hugging Face's Trainer does.
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
            List<int[]> sequences = sequences(shuffled(samples.size(), hp.seed(), epoch), samples, hp);
            List<List<int[]>> batches = hp.groupByLength()
                    ? groupedByLength(sequences, samples, hp, epoch)
                    : batches(sequences, hp);
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
        shuffle(order, new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch));
        return order;
    }

    /** Fisher–Yates, in place. */
    private static void shuffle(int[] order, SplittableRandom random) {
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
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

    /** Micro-batches sorted by length together in {@code group_by_length}. */
    static final int MEGABATCH = 50;

    /**
     * {@code sequences} (in shuffled order) batched by length: each run of {@value #MEGABATCH} batches'
     * worth sorted longest first (a stable sort, so equal lengths keep the shuffled order), cut into
     * micro-batches, and the epoch's micro-batches shuffled (seeded by seed and epoch).
     */
    private static List<List<int[]>> groupedByLength(List<int[]> sequences, List<TokenizedSample> samples,
            HyperParameters hp, int epoch) {
        int mega = MEGABATCH * hp.batchSize();
        List<int[]> sorted = new ArrayList<>();
        for (int from = 0; from < sequences.size(); from += mega) {
            List<int[]> run = new ArrayList<>(sequences.subList(from, Math.min(sequences.size(), from + mega)));
            run.sort(java.util.Comparator.comparingInt((int[] seq) -> length(seq, samples)).reversed());
            sorted.addAll(run);
        }
        List<List<int[]>> batches = batches(sorted, hp);
        int[] order = shuffled(batches.size(), hp.seed() ^ 0x5DEECE66DL, epoch);
        List<List<int[]>> out = new ArrayList<>();
        for (int i : order) {
            out.add(batches.get(i));
        }
        return out;
    }

    /** @return the tokens of a sequence: the lengths of the samples it holds, summed */
    static int length(int[] sequence, List<TokenizedSample> samples) {
        int n = 0;
        for (int i : sequence) {
            n += samples.get(i).ids().length;
        }
        return n;
    }

    /**
     * What one forward and backward pass costs beyond its tokens, in padded tokens: measured on the
     * starter model on two cores, a pass of one 139-token row took 0.05 s and one of eight rows padded to
     * about 185 tokens 0.24 s, about 0.02 s (some 140 tokens' worth) a pass.
     */
    static final int PASS_OVERHEAD_TOKENS = 128;

    /**
     * A micro-batch as the passes that compute it most cheaply: its sequences sorted by length and cut
     * where a pass of its own (each row padded only to its pass's longest) saves more padding than
     * {@value #PASS_OVERHEAD_TOKENS} tokens cost. The loss is a sum over rows divided by the step's
     * trained tokens, so the passes' gradients add up to the micro-batch's: the same step, with
     * one-turn samples no longer padded to the length of two-turn ones.
     *
     * @return the passes, shortest sequences first; one pass when splitting saves nothing
     */
    public static List<List<int[]>> passes(List<int[]> batch, List<TokenizedSample> samples) {
        List<int[]> sorted = new ArrayList<>(batch);
        sorted.sort(java.util.Comparator.comparingInt((int[] seq) -> length(seq, samples)));
        int k = sorted.size();
        // cost[i]: the cheapest passes for the i shortest sequences; cut[i]: where the last of them begins
        long[] cost = new long[k + 1];
        int[] cut = new int[k + 1];
        for (int i = 1; i <= k; i++) {
            cost[i] = Long.MAX_VALUE;
            int longest = length(sorted.get(i - 1), samples);
            for (int j = 0; j < i; j++) {
                long c = cost[j] + (long) (i - j) * longest + PASS_OVERHEAD_TOKENS;
                if (c < cost[i]) {
                    cost[i] = c;
                    cut[i] = j;
                }
            }
        }
        List<List<int[]>> passes = new ArrayList<>();
        for (int i = k; i > 0; i = cut[i]) {
            passes.add(0, List.copyOf(sorted.subList(cut[i], i)));
        }
        return passes;
    }

    /** @return optimizer steps in the run */
    public int totalSteps() {
        return steps.size();
    }
}
