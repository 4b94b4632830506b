package dev.livetune.llm.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.livetune.llm.TestRuntime;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the trainer does with gradients between backward and the next step: their global norm is
 * finite for any finite gradient, however large (so clipping, not skipping, deals with it), and
 * infinite or NaN only for a gradient that is; and each is reset to exactly zero, even an infinite
 * one, which {@code g - g} would leave NaN for every later update.
 */
class GradientsTest {

    private static Parameter withGradient(NDManager m, String name, float... gradient) {
        NDArray w = m.ones(new ai.djl.ndarray.types.Shape(gradient.length));
        w.setRequiresGradient(true);
        try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
            c.backward(w.mul(m.create(gradient)).sum());
        }
        return new Parameter(name, w, true);
    }

    @Test
    void theNormOfLargeFiniteGradientsIsFiniteAndOnlyAnInfiniteOneIsNot() {
        try (NDManager m = TestRuntime.shared().manager().newSubManager()) {
            Parameter small = withGradient(m, "small", 1f, 2f, 2f);
            assertThat(SftTrainer.gradientNorm(List.of(small))).isCloseTo(3.0, within(1e-6));
            // 3e20² overflows float32: the sum of squares in float is infinite, the norm is not.
            Parameter large = withGradient(m, "large", 3e20f, 4e20f);
            assertThat(large.value().getGradient().square().sum().getFloat()).isInfinite();
            assertThat(SftTrainer.gradientNorm(List.of(small, large))).isCloseTo(5e20, within(1e14));
            assertThat(SftTrainer.nonFinite(List.of(small, large))).isEmpty();
            Parameter zero = withGradient(m, "zero", 0f, 0f);
            assertThat(SftTrainer.gradientNorm(List.of(zero))).isZero();

            Parameter infinite = withGradient(m, "infinite", Float.POSITIVE_INFINITY, 1f);
            assertThat(SftTrainer.gradientNorm(List.of(small, infinite))).isInfinite();
            assertThat(SftTrainer.nonFinite(List.of(small, infinite, large))).containsExactly("infinite");
        }
    }

    @Test
    void anInfiniteGradientIsResetToZero() {
        try (NDManager m = TestRuntime.shared().manager().newSubManager()) {
            NDArray w = m.create(new float[] {1f, 2f, 3f});
            w.setRequiresGradient(true);
            try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
                // d/dw of w·[inf, 1, 1] is [inf, 1, 1]
                c.backward(w.mul(m.create(new float[] {Float.POSITIVE_INFINITY, 1f, 1f})).sum());
            }
            assertThat(w.getGradient().toFloatArray()).containsExactly(Float.POSITIVE_INFINITY, 1f, 1f);

            SftTrainer.zeroGradients(List.of(new Parameter("w", w, false)));

            assertThat(w.getGradient().toFloatArray()).containsExactly(0f, 0f, 0f);
            try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
                c.backward(w.mul(2f).sum());
            }
            assertThat(w.getGradient().toFloatArray()).as("the next step accumulates from zero").containsExactly(2f, 2f, 2f);
        }
    }
}
