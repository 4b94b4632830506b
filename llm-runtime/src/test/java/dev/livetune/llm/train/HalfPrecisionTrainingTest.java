package dev.livetune.llm.train;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.llm.Fixtures;
import dev.livetune.llm.TestRuntime;
import dev.livetune.llm.engine.Precision;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.model.DecoderModel;
import org.junit.jupiter.api.Test;

/**
 * Training stays float32 (DJL 0.36 casts outside autograd): a float16 model is refused up front, with
 * the reason, instead of failing in the engine at the first backward pass.
 */
class HalfPrecisionTrainingTest {

    private static final TorchRuntime RUNTIME = TestRuntime.shared();
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aHalfPrecisionModelIsRefusedForTrainingSayingWhatToDo() throws Exception {
        try (DecoderModel model = DecoderModel.load(Fixtures.dir("llama-gqa"), RUNTIME.manager(), JSON, Precision.FLOAT16);
                TrainableLora lora = TrainableLora.load(Fixtures.adapter("llama-gqa"), model, 0.0, JSON)) {
            assertThatThrownBy(() -> new SftTrainer(model, HyperParameters.defaults(), lora, p -> { }))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("training needs a float32 model (this one is float16)");
        }
    }
}
