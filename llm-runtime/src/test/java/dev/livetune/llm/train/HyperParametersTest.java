package dev.livetune.llm.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HyperParametersTest {

    private static HyperParameters read(String json) throws Exception {
        return HyperParameters.read(new ObjectMapper().readTree(json), "hyper.json");
    }

    @Test
    void readsHuggingFaceAndPeftNamesAndKeepsDefaultsForTheRest() throws Exception {
        HyperParameters hp = read("""
                {"num_train_epochs": 2, "learning_rate": 1e-4, "per_device_train_batch_size": 4,
                 "gradient_accumulation_steps": 2, "lr_scheduler_type": "cosine", "warmup_ratio": 0.1,
                 "weight_decay": 0.01, "max_grad_norm": 0.5, "seed": 3, "r": 8, "lora_alpha": 16,
                 "lora_dropout": 0.05, "target_modules": ["q_proj", "v_proj"], "use_rslora": true}
                """);
        assertThat(hp.numTrainEpochs()).isEqualTo(2);
        assertThat(hp.learningRate()).isEqualTo(1e-4);
        assertThat(hp.scheduler()).isEqualTo(LrSchedule.COSINE);
        assertThat(hp.targetModules()).containsExactly("q_proj", "v_proj");
        assertThat(hp.loraScale()).isCloseTo(16 / Math.sqrt(8), org.assertj.core.data.Offset.offset(1e-12));
        assertThat(hp.maxSteps()).isEqualTo(HyperParameters.defaults().maxSteps());
        assertThat(hp.explicit()).contains("r", "lora_alpha").doesNotContain("max_steps");
        assertThat(read("{\"target_modules\": \"all-linear\"}").targetModules())
                .isEqualTo(HyperParameters.ALL_PROJECTIONS);
    }

    @Test
    void rejectsUnknownKeysWrongTypesAndOutOfRangeValuesByName() {
        assertThatThrownBy(() -> read("{\"epochs\": 3}")).isInstanceOf(InvalidTrainingInputException.class)
                .hasMessageContaining("unknown key").hasMessageContaining("epochs")
                .hasMessageContaining("num_train_epochs");
        assertThatThrownBy(() -> read("{\"learning_rate\": \"fast\"}")).hasMessageContaining("learning_rate");
        assertThatThrownBy(() -> read("{\"learning_rate\": 0}")).hasMessageContaining("learning_rate");
        assertThatThrownBy(() -> read("{\"r\": 2.5}")).hasMessageContaining("r is 2.5");
        assertThatThrownBy(() -> read("{\"lora_dropout\": 1}")).hasMessageContaining("lora_dropout");
        assertThatThrownBy(() -> read("{\"target_modules\": [\"lm_head\"]}")).hasMessageContaining("lm_head");
        assertThatThrownBy(() -> read("[1]")).hasMessageContaining("JSON object");
    }

    @Test
    void stepsFollowTheTrainersArithmetic() {
        HyperParameters hp = HyperParameters.of(Map.of("num_train_epochs", 3, "gradient_accumulation_steps", 4));
        assertThat(hp.stepsPerEpoch(10)).isEqualTo(3);
        assertThat(hp.totalSteps(10)).isEqualTo(9);
        assertThat(HyperParameters.of(Map.of("num_train_epochs", 1.5)).totalSteps(10)).isEqualTo(15);
        assertThat(HyperParameters.of(Map.of("max_steps", 7)).totalSteps(100)).isEqualTo(7);
        assertThat(HyperParameters.of(Map.of("warmup_ratio", 0.1)).warmupSteps(25)).isEqualTo(3);
    }

    @Test
    void schedulesMatchTransformers() {
        // get_linear_schedule_with_warmup(num_warmup_steps=2, num_training_steps=10)
        assertThat(List.of(0, 1, 2, 6, 9).stream().map(s -> LrSchedule.LINEAR.factor(s, 2, 10)).toList())
                .containsExactly(0.0, 0.5, 1.0, 0.5, 0.125);
        assertThat(LrSchedule.COSINE.factor(6, 2, 10)).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(LrSchedule.COSINE.factor(10, 2, 10)).isCloseTo(0.0, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(LrSchedule.CONSTANT.factor(0, 2, 10)).isEqualTo(1.0);
        assertThat(LrSchedule.CONSTANT_WITH_WARMUP.factor(1, 2, 10)).isEqualTo(0.5);
    }
}
