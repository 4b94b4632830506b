package dev.livetune.llm.train;

import java.util.Locale;

/**
 * Learning-rate schedules as Hugging Face's {@code get_scheduler} computes them: the factor that
 * multiplies the peak learning rate at optimizer step {@code s} (0-based), with a linear warmup over
 * the first {@code warmup} steps (so with warmup the very first step has factor 0, as in transformers).
 */
public enum LrSchedule {
    /** Factor 1 throughout; Hugging Face's {@code constant} ignores warmup. */
    CONSTANT("constant"),
    /** Warmup, then 1. */
    CONSTANT_WITH_WARMUP("constant_with_warmup"),
    /** Warmup, then linear decay to 0 at the last step. */
    LINEAR("linear"),
    /** Warmup, then half a cosine wave down to 0. */
    COSINE("cosine");

    private final String hfName;

    LrSchedule(String hfName) {
        this.hfName = hfName;
    }

    /** @return the name in {@code lr_scheduler_type} */
    public String hfName() {
        return hfName;
    }

    /** @throws IllegalArgumentException listing the accepted names */
    public static LrSchedule of(String name) {
        for (LrSchedule s : values()) {
            if (s.hfName.equals(name.toLowerCase(Locale.ROOT))) {
                return s;
            }
        }
        throw new IllegalArgumentException("lr_scheduler_type '" + name
                + "' is not supported (constant, constant_with_warmup, linear, cosine)");
    }

    /**
     * @param step   optimizer step, 0-based
     * @param warmup warmup steps
     * @param total  total optimizer steps
     * @return the learning-rate factor in [0, 1]
     */
    public double factor(int step, int warmup, int total) {
        if (this == CONSTANT) {
            return 1.0;
        }
        if (step < warmup) {
            return (double) step / Math.max(1, warmup);
        }
        double progress = (double) (step - warmup) / Math.max(1, total - warmup);
        return switch (this) {
            case CONSTANT, CONSTANT_WITH_WARMUP -> 1.0;
            case LINEAR -> Math.max(0.0, 1.0 - progress);
            case COSINE -> Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * progress)));
        };
    }
}
