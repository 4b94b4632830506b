package dev.livetune.llm.perf;

import dev.livetune.llm.model.ModelConfig;
import java.util.Arrays;

/** Small helpers shared by the benchmarks. */
public final class Stats {

    private Stats() {
    }

    /** @return the median of the values (mean of the middle two for an even count) */
    public static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /**
     * @return float32 weight bytes one decode step reads: every matrix once, but only one row of an
     *         untied embedding table (a tied one is read whole as the output head)
     */
    public static long weightBytesPerDecodeStep(ModelConfig c) {
        long embedding = (long) c.vocabSize() * c.hiddenSize();
        return 4 * (c.tieWordEmbeddings() ? c.parameterCount() : c.parameterCount() - embedding);
    }
}
