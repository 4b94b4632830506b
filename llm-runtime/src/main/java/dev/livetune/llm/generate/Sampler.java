package dev.livetune.llm.generate;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * Picks the next token of one request from its logits, in Hugging Face's processor order:
 * repetition penalty, temperature, top-k, top-p, then a draw (or argmax when greedy).
 */
final class Sampler {

    private final SamplingParams params;
    private final RandomGenerator random;
    /** Tokens seen in prompt or output, for the repetition penalty. */
    private final boolean[] seen;

    Sampler(SamplingParams params, RandomGenerator random, int vocab, int[] prompt) {
        this.params = params;
        this.random = random;
        this.seen = new boolean[vocab];
        for (int id : prompt) {
            seen[id] = true;
        }
    }

    /** Records a generated token (it now counts for the repetition penalty). */
    void accept(int token) {
        seen[token] = true;
    }

    /**
     * @param logits the vocabulary logits, from {@code offset}; left unchanged
     * @return the chosen token id
     */
    int next(float[] logits, int offset) {
        int vocab = seen.length;
        float[] x = Arrays.copyOfRange(logits, offset, offset + vocab);
        double penalty = params.repetitionPenalty();
        if (penalty != 1.0) {
            for (int i = 0; i < vocab; i++) {
                if (seen[i]) {
                    x[i] = (float) (x[i] < 0 ? x[i] * penalty : x[i] / penalty);
                }
            }
        }
        if (params.isGreedy()) {
            return argmax(x);
        }
        return draw(x);
    }

    static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }

    private int draw(float[] x) {
        double t = params.temperature();
        Integer[] order = candidates(x);
        int keep = order.length;
        if (params.topK() > 0) {
            keep = Math.min(keep, params.topK());
        }
        double max = x[order[0]];
        double[] p = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            p[i] = Math.exp((x[order[i]] - max) / t);
            sum += p[i];
        }
        if (params.topP() < 1.0) {
            // Smallest prefix whose mass reaches top_p (at least one token), as HF's TopPLogitsWarper.
            double mass = 0;
            int cut = keep;
            for (int i = 0; i < keep; i++) {
                mass += p[i] / sum;
                if (mass >= params.topP()) {
                    cut = i + 1;
                    break;
                }
            }
            keep = cut;
            sum = 0;
            for (int i = 0; i < keep; i++) {
                sum += p[i];
            }
        }
        double u = random.nextDouble() * sum;
        double acc = 0;
        for (int i = 0; i < keep; i++) {
            acc += p[i];
            if (u < acc) {
                return order[i];
            }
        }
        return order[keep - 1];
    }

    /** Token ids sorted by logit, highest first; only the top k when top-k is set. */
    private Integer[] candidates(float[] x) {
        Integer[] ids = new Integer[x.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i;
        }
        Arrays.sort(ids, (a, b) -> Float.compare(x[b], x[a]));
        return ids;
    }
}
