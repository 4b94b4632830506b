package dev.livetune.llm.model;

/**
 * Rotary position embedding tables, computed in double precision on the Java side for the
 * positions a forward pass needs (a decode step needs one position per row, so this is cheap).
 * Layout as in Hugging Face's {@code rotate_half} convention: the two halves of a head share
 * frequencies, {@code cos = cat(cos(p·f), cos(p·f))}.
 */
final class Rope {

    private final double[] invFreq;
    private final int headDim;

    Rope(RopeConfig config, int headDim) {
        this.invFreq = config.inverseFrequencies(headDim);
        this.headDim = headDim;
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
                double p = positions[b][t];
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
