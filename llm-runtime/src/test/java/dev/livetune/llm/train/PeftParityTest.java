package dev.livetune.llm.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.llm.Fixtures;
import dev.livetune.llm.TestRuntime;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.model.DecoderModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Training matches PEFT + torch on the fixtures' {@code reference_training.json}: the loss of a
 * labelled batch, the gradient of every LoRA tensor, and three AdamW steps with and without weight
 * decay, all starting from the fixture's adapter.
 */
class PeftParityTest {

    private static final TorchRuntime RUNTIME = TestRuntime.shared();
    private static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode reference(String model) throws IOException {
        return JSON.readTree(Fixtures.dir(model).resolve("reference_training.json").toFile());
    }

    /** The fixture batch as samples: labels are the input ids where not -100, so the mask is all we need. */
    static List<TokenizedSample> batch(JsonNode ref) {
        List<TokenizedSample> rows = new ArrayList<>();
        for (int b = 0; b < ref.get("input_ids").size(); b++) {
            int[] ids = Fixtures.ints(ref.get("input_ids").get(b));
            int[] labels = Fixtures.ints(ref.get("labels").get(b));
            boolean[] trained = new boolean[ids.length];
            for (int t = 0; t < ids.length; t++) {
                if (labels[t] != -100) {
                    assertThat(labels[t]).as("label equals input id").isEqualTo(ids[t]);
                    trained[t] = true;
                }
            }
            rows.add(new TokenizedSample(ids, trained, "row " + b));
        }
        return rows;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa", "qwen2-bias-tied"})
    void lossAndEveryLoraGradientMatchPeft(String name) throws IOException {
        JsonNode ref = reference(name);
        HyperParameters hp = HyperParameters.of(Map.of("max_grad_norm", 0.0));
        try (DecoderModel model = DecoderModel.load(Fixtures.dir(name), RUNTIME.manager(), JSON);
                TrainableLora lora = TrainableLora.load(Fixtures.adapter(name), model, 0.0, JSON)) {
            SftTrainer trainer = new SftTrainer(model, hp, lora, p -> { });
            double loss = trainer.accumulateGradients(batch(ref));

            assertThat(loss).isCloseTo(ref.get("loss").asDouble(), org.assertj.core.data.Offset.offset(1e-5));
            JsonNode grads = ref.get("grads");
            assertThat(lora.parameters()).hasSize(grads.size());
            for (Parameter p : lora.parameters()) {
                JsonNode expected = grads.get(p.name());
                assertThat(expected).as(p.name()).isNotNull();
                NDArray g = p.value().getGradient();
                assertThat(relativeError(g.toFloatArray(), flatten(expected))).as(p.name()).isLessThan(1e-4);
                g.close();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa", "qwen2-bias-tied"})
    void threeAdamWStepsMatchTorch(String name) throws IOException {
        JsonNode ref = reference(name);
        for (JsonNode run : ref.get("adamw_runs")) {
            HyperParameters hp = HyperParameters.of(Map.of(
                    "max_steps", run.get("steps").asInt(),
                    "learning_rate", run.get("lr").asDouble(),
                    "lr_scheduler_type", "constant",
                    "adam_beta1", run.get("betas").get(0).asDouble(),
                    "adam_beta2", run.get("betas").get(1).asDouble(),
                    "adam_epsilon", run.get("eps").asDouble(),
                    "weight_decay", run.get("weight_decay").asDouble(),
                    "max_grad_norm", 0.0,
                    "per_device_train_batch_size", 2));
            try (DecoderModel model = DecoderModel.load(Fixtures.dir(name), RUNTIME.manager(), JSON);
                    TrainableLora lora = TrainableLora.load(Fixtures.adapter(name), model, 0.0, JSON)) {
                SftTrainer.Result result = new SftTrainer(model, hp, lora, p -> { }).train(batch(ref), null);

                String what = name + " weight_decay " + run.get("weight_decay").asDouble();
                double[] lossesBefore = Fixtures.doubles(run.get("losses_before_each_step"));
                assertThat(result.losses()).as(what).hasSize(lossesBefore.length);
                for (int i = 0; i < lossesBefore.length; i++) {
                    assertThat(result.losses().get(i)).as(what + " loss before step " + (i + 1))
                            .isCloseTo(lossesBefore[i], org.assertj.core.data.Offset.offset(1e-5));
                }
                JsonNode after = run.get("params_after");
                for (Parameter p : lora.parameters()) {
                    assertThat(relativeError(p.value().toFloatArray(), flatten(after.get(p.name()))))
                            .as(what + " " + p.name()).isLessThan(1e-4);
                }
            }
        }
    }

    private static double[] flatten(JsonNode matrix) {
        List<Double> out = new ArrayList<>();
        for (JsonNode row : matrix) {
            if (row.isArray()) {
                row.forEach(v -> out.add(v.asDouble()));
            } else {
                out.add(row.asDouble());
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static double relativeError(float[] out, double[] ref) {
        assertThat(out).hasSize(ref.length);
        return Fixtures.relativeError(out, ref);
    }
}
