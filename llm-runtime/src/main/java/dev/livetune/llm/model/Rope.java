package dev.livetune.llm.model;

/**
 * Rotary position embedding tables, computed in double precision on the Java side for the
 * positions a forward pass needs, the first {@value #CACHED_POSITIONS} once and for all (a training
 * step needs a row per token, a decode step one per sequence).
 * Layout as in Hugging Face's {@code rotate_half} convention: the two halves of a head share
 * frequencies, {@code cos = cat(cos(p·f), cos(p·f))}.
 */
final class Rope {

    /** Positions whose half-tables are computed once: a training step needs thousands of them. */
    static final int CACHED_POSITIONS = 2048;

    private final double[] invFreq;
    private final int headDim;
    /** {@code [position · headDim/2 + i]}: cos and sin of {@code position · invFreq[i]}, as floats. */
    private final float[] cachedCos;
    private final float[] cachedSin;

    Rope(RopeConfig config, int headDim) {
        this.invFreq = config.inverseFrequencies(headDim);
        this.headDim = headDim;
        int half = headDim / 2;
        this.cachedCos = new float[CACHED_POSITIONS * half];
        this.cachedSin = new float[CACHED_POSITIONS * half];
        for (int p = 0; p < CACHED_POSITIONS; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * invFreq[i];
                cachedCos[p * half + i] = (float) Math.cos(angle);
                cachedSin[p * half + i] = (float) Math.sin(angle);
            }
        }
    }

    /**
     * @param positions {@code [batch][n]} absolute positions (padding slots may hold any value)
     * @return {cos, sin}, each flattened {@code [batch, n, headDim]}
     */
    float[][] tables(int[][] positions) {
        int batch = positions.length;
        int n = positions[0].length;
        int half = headDim / 2;
        float[] cos = new float[batch * n * headDim];
        float[] sin = new float[batch * n * headDim];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < n; t++) {
                int base = (b * n + t) * headDim;
                int position = positions[b][t];
                if (position >= 0 && position < CACHED_POSITIONS) {
                    int from = position * half;
                    System.arraycopy(cachedCos, from, cos, base, half);
                    System.arraycopy(cachedCos, from, cos, base + half, half);
                    System.arraycopy(cachedSin, from, sin, base, half);
                    System.arraycopy(cachedSin, from, sin, base + half, half);
                    continue;
                }
                double p = position;
                for (int i = 0; i < half; i++) {
                    double angle = p * invFreq[i];
                    float c = (float) Math.cos(angle);
                    float s = (float) Math.sin(angle);
                    cos[base + i] = c;
                    cos[base + half + i] = c;
                    sin[base + i] = s;
                    sin[base + half + i] = s;
                }
            }
        }
        return new float[][] {cos, sin};
    }
}
