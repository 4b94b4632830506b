package dev.livetune.llm.model;

/**
 * Rotary position embedding settings, from either config form: transformers 4.x (top-level
 * {@code rope_theta} and {@code rope_scaling}) or 5.x ({@code rope_parameters}).
 *
 * @param theta                         base of the inverse frequencies ({@code rope_theta})
 * @param type                          {@code default}, {@code linear} or {@code llama3}
 * @param factor                        scaling factor (1 for {@code default})
 * @param lowFreqFactor                 llama3 only: {@code low_freq_factor}
 * @param highFreqFactor                llama3 only: {@code high_freq_factor}
 * @param originalMaxPositionEmbeddings llama3 only: context length the model was pre-trained with
 */
public record RopeConfig(
        double theta,
        String type,
        double factor,
        double lowFreqFactor,
        double highFreqFactor,
        int originalMaxPositionEmbeddings) {

    /** @return plain RoPE with the given base */
    public static RopeConfig plain(double theta) {
        return new RopeConfig(theta, "default", 1.0, 1.0, 1.0, 0);
    }

    /**
     * Inverse frequencies for a head of {@code headDim}, as transformers computes them
     * ({@code _compute_default_rope_parameters}, {@code _compute_llama3_parameters},
     * {@code _compute_linear_scaling_rope_parameters}).
     *
     * @return {@code headDim / 2} inverse frequencies
     */
    public double[] inverseFrequencies(int headDim) {
        double[] inv = new double[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
        }
        switch (type) {
            case "default" -> { }
            case "linear" -> {
                for (int i = 0; i < inv.length; i++) {
                    inv[i] /= factor;
                }
            }
            case "llama3" -> applyLlama3(inv);
            default -> throw new IllegalStateException("unsupported rope type " + type);
        }
        return inv;
    }

    private void applyLlama3(double[] inv) {
        double lowFreqWavelen = originalMaxPositionEmbeddings / lowFreqFactor;
        double highFreqWavelen = originalMaxPositionEmbeddings / highFreqFactor;
        for (int i = 0; i < inv.length; i++) {
            double wavelen = 2 * Math.PI / inv[i];
            if (wavelen > lowFreqWavelen) {
                inv[i] = inv[i] / factor;
            } else if (wavelen >= highFreqWavelen) {
                // Medium frequencies: interpolate between scaled and unscaled.
                double smooth = (originalMaxPositionEmbeddings / wavelen - lowFreqFactor)
                        / (highFreqFactor - lowFreqFactor);
                inv[i] = (1 - smooth) * inv[i] / factor + smooth * inv[i];
            }
        }
    }
}
