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
        int vocab = x.length;
        int keep = params.topK() > 0 ? Math.min(params.topK(), vocab) : vocab;
        boolean nucleus = params.topP() < 1.0;
        if (keep == vocab && !nucleus) {
            return drawFromAll(x, t);
        }
        // Candidates in descending order: the top-k, or for top-p alone as many as the mass needs,
        // found with a bounded heap rather than by sorting the whole vocabulary.
        int k = keep < vocab ? keep : Math.min(vocab, 64);
        while (true) {
            int[] top = topIndices(x, k);
            double max = x[top[0]];
            double keptMass = 0;
            if (keep < vocab) {
                for (int id : top) {
                    keptMass += Math.exp((x[id] - max) / t);
                }
            } else {
                for (float v : x) {
                    keptMass += Math.exp((v - max) / t);
                }
            }
            double[] p = new double[top.length];
            double mass = 0;
            int cut = -1;
            for (int i = 0; i < top.length; i++) {
                p[i] = Math.exp((x[top[i]] - max) / t);
                mass += p[i];
                if (nucleus && cut < 0 && mass / keptMass >= params.topP()) {
                    cut = i + 1;
                }
            }
            if (cut < 0 && top.length < keep) {
                k = Math.min(keep, k * 4);
                continue;
            }
            int n = cut < 0 ? top.length : cut;
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += p[i];
            }
            double u = random.nextDouble() * sum;
            double acc = 0;
            for (int i = 0; i < n; i++) {
                acc += p[i];
                if (u < acc) {
                    return top[i];
                }
            }
            return top[n - 1];
        }
    }

    private int drawFromAll(float[] x, double t) {
        double max = x[argmax(x)];
        double sum = 0;
        double[] p = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            p[i] = Math.exp((x[i] - max) / t);
            sum += p[i];
        }
        double u = random.nextDouble() * sum;
        double acc = 0;
        for (int i = 0; i < p.length; i++) {
            acc += p[i];
            if (u < acc) {
                return i;
            }
        }
        return p.length - 1;
    }

    /** @return the ids of the {@code k} largest values, largest first (ties: lower id first) */
    static int[] topIndices(float[] x, int k) {
        // Min-heap of the best k seen so far; its root is the weakest of them.
        int[] heap = new int[k];
        int size = 0;
        for (int i = 0; i < x.length; i++) {
            if (size < k) {
                heap[size] = i;
                siftUp(heap, size++, x);
            } else if (better(i, heap[0], x)) {
                heap[0] = i;
                siftDown(heap, size, x);
            }
        }
        int[] out = new int[size];
        for (int n = size; n > 0; n--) {
            out[n - 1] = heap[0];
            heap[0] = heap[n - 1];
            siftDown(heap, n - 1, x);
        }
        return out;
    }

    /** Whether token a ranks above token b. */
    private static boolean better(int a, int b, float[] x) {
        return x[a] > x[b] || (x[a] == x[b] && a < b);
    }

    private static void siftUp(int[] heap, int i, float[] x) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (!better(heap[parent], heap[i], x)) {
                break;
            }
            swap(heap, i, parent);
            i = parent;
        }
    }

    private static void siftDown(int[] heap, int size, float[] x) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1;
            int r = l + 1;
            int weakest = i;
            if (l < size && better(heap[weakest], heap[l], x)) {
                weakest = l;
            }
            if (r < size && better(heap[weakest], heap[r], x)) {
                weakest = r;
            }
            if (weakest == i) {
                return;
            }
            swap(heap, i, weakest);
            i = weakest;
        }
    }

    private static void swap(int[] a, int i, int j) {
        int tmp = a[i];
        a[i] = a[j];
        a[j] = tmp;
    }
}
