package dev.livetune.llm.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.llm.Fixtures;
import dev.livetune.llm.TestRuntime;
import dev.livetune.llm.lora.LoraDelta;
import dev.livetune.llm.model.DecoderModel;
import dev.livetune.llm.model.ModelWeights;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Full fine-tuning derives the runtime's layout (fused q/k/v and gate/up, norms times √n, Qwen3's
 * per-head q/k norms) from Hugging Face tensors: for every fixture family the derived weights compute
 * exactly what the loader's do, and a saved model loads back to the same logits.
 */
class FullModelParametersTest {

    static List<String> models() {
        return Fixtures.MODELS;
    }

    @ParameterizedTest
    @MethodSource("models")
    void derivedWeightsComputeWhatTheLoadedModelComputes(String name, @TempDir Path dir) throws IOException {
        ObjectMapper json = new ObjectMapper();
        NDManager root = TestRuntime.shared().manager();
        int[][] positions = {{0, 1, 2, 3, 4, 5}};
        int[][] segments = {{0, 0, 0, 0, 0, 0}};
        long[] ids = {1, 17, 99, 3, 250, 42};
        try (DecoderModel model = DecoderModel.load(Fixtures.dir(name), root, json);
                FullModelParameters params = FullModelParameters.load(Fixtures.dir(name), model, json);
                NDManager m = root.newSubManager()) {
            float[] loaded;
            float[] derived;
            try (NDScope scope = new NDScope()) {
                loaded = logits(model, model.weights(), m, ids, positions, segments);
                derived = logits(model, params.weights(), m, ids, positions, segments);
            }
            assertThat(Fixtures.relativeError(derived, toDouble(loaded))).isLessThan(1e-6);

            params.save(dir.resolve("saved"), Fixtures.dir(name));
            try (DecoderModel saved = DecoderModel.load(dir.resolve("saved"), root, json); NDScope scope = new NDScope()) {
                float[] reloaded = logits(saved, saved.weights(), m, ids, positions, segments);
                assertThat(reloaded).isEqualTo(loaded);
            }
        }
    }

    private static float[] logits(DecoderModel model, ModelWeights w, NDManager m, long[] ids, int[][] positions,
            int[][] segments) {
        return model.trainingLogits(w, m.create(ids, new Shape(1, ids.length)), positions, segments,
                m.create(new long[] {0, 2, 5}), LoraDelta.NONE).toFloatArray();
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
