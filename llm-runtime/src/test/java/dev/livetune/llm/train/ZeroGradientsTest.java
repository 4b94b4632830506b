package dev.livetune.llm.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.livetune.llm.TestRuntime;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Between optimizer steps every gradient goes back to exactly zero, even one that overflowed: an
 * infinite gradient reset as {@code g - g} stays NaN and turns every later update into NaN.
 */
class ZeroGradientsTest {

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
