package dev.livetune.llm.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.llm.Fixtures;
import dev.livetune.llm.TestRuntime;
import dev.livetune.llm.model.DecoderModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * Packed samples never see each other and restart their positions: the loss of one packed
 * sequence equals the loss of the same samples each in its own padded row, and so does the update.
 */
class PackingTest {

    private static List<TokenizedSample> samples() {
        SplittableRandom random = new SplittableRandom(5);
        List<TokenizedSample> samples = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int n = 5 + 3 * i;
            int[] ids = random.ints(n, 1, 384).toArray();
            boolean[] trained = new boolean[n];
            for (int t = n / 2; t < n; t++) {
                trained[t] = true;
            }
            samples.add(new TokenizedSample(ids, trained, "s" + i));
        }
        return samples;
    }

    /** Runs one optimizer step; returns its loss and the first B factor afterwards. */
    private static Object[] oneStep(List<TokenizedSample> samples, Map<String, Object> hyper) {
        ObjectMapper json = new ObjectMapper();
        try (DecoderModel model = DecoderModel.load(Fixtures.dir("llama-gqa"), TestRuntime.shared().manager(), json);
                TrainableLora lora = TrainableLora.load(Fixtures.adapter("llama-gqa"), model, 0.0, json)) {
            SftTrainer.Result r = new SftTrainer(model, HyperParameters.of(hyper), lora, p -> { }).train(samples, null);
            return new Object[] {r.losses().get(0), lora.parameters().get(1).value().toFloatArray()};
        }
    }

    @Test
    void accumulatingTwoMicroBatchesEqualsOneBatchOfBoth() {
        List<TokenizedSample> samples = samples();
        Map<String, Object> common = Map.of("max_steps", 1, "learning_rate", 1e-2, "max_grad_norm", 0.5);
        Map<String, Object> whole = new java.util.HashMap<>(common);
        whole.put("per_device_train_batch_size", 4);
        Map<String, Object> accumulated = new java.util.HashMap<>(common);
        accumulated.put("per_device_train_batch_size", 2);
        accumulated.put("gradient_accumulation_steps", 2);
        Object[] a = oneStep(samples, whole);
        Object[] b = oneStep(samples, accumulated);
        assertThat((double) b[0]).isCloseTo((double) a[0], Offset.offset(1e-5));
        float[] pa = (float[]) a[1];
        double[] ref = new double[pa.length];
        for (int i = 0; i < ref.length; i++) {
            ref[i] = pa[i];
        }
        assertThat(Fixtures.relativeError((float[]) b[1], ref)).isLessThan(1e-5);
    }

    @Test
    void packedAndPaddedBatchesComputeTheSameLossAndUpdate() {
        ObjectMapper json = new ObjectMapper();
        List<TokenizedSample> samples = samples();
        float[][] grads = new float[2][];
        double[] losses = new double[2];
        for (int packed = 0; packed < 2; packed++) {
            HyperParameters hp = HyperParameters.of(Map.of("max_steps", 1, "learning_rate", 1e-2,
                    "per_device_train_batch_size", packed == 1 ? 1 : 4, "packing", packed == 1, "max_length", 64,
                    "max_grad_norm", 0.0));
            try (DecoderModel model = DecoderModel.load(Fixtures.dir("llama-gqa"), TestRuntime.shared().manager(), json);
                    TrainableLora lora = TrainableLora.load(Fixtures.adapter("llama-gqa"), model, 0.0, json)) {
                SftTrainer.Result r = new SftTrainer(model, hp, lora, p -> { }).train(samples, null);
                TrainingPlan plan = TrainingPlan.of(samples, hp);
                assertThat(plan.steps().get(0).get(0)).hasSize(packed == 1 ? 1 : 4);
                losses[packed] = r.losses().get(0);
                grads[packed] = lora.parameters().get(1).value().toFloatArray();
            }
        }
        assertThat(losses[1]).isCloseTo(losses[0], Offset.offset(1e-5));
        double[] ref = new double[grads[0].length];
        for (int i = 0; i < ref.length; i++) {
            ref[i] = grads[0][i];
        }
        // One AdamW step moves every parameter by ±lr·sign(g): equal updates mean equal gradient signs.
        assertThat(Fixtures.relativeError(grads[1], ref)).isLessThan(1e-6);
    }
}
