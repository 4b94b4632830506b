package dev.livetune.bench;

import dev.livetune.llm.model.ModelConfig;
import java.util.List;

/**
 * The floating-point work one LoRA training step needs, counted from the model's shape (model
 * FLOPs: what the maths requires, not what an implementation happens to recompute).
 *
 * <p>Per token and layer, the forward pass multiplies by every projection ({@code 2·params}); the
 * backward pass needs the gradient with respect to each projection's input (the same again) but
 * none with respect to the frozen weights. Attention's two matmuls ({@code QKᵀ}, {@code PV}) run over
 * the full {@code n × n} square per row (masked, not skipped) and cost twice as much backward (both
 * operands are activations). The output head runs only at trained positions. LoRA's own factors
 * add {@code 2·r·(in + out)} per targeted projection forward, and twice that backward (input and
 * weight gradients).
 */
final class TrainingFlops {

    private TrainingFlops() {
    }

    /**
     * @param c            the model
     * @param rows         sequences in the step
     * @param n            tokens per sequence
     * @param trainedRows  positions whose loss is computed
     * @param rank         LoRA rank
     * @param targets      targeted projections
     * @return FLOPs of one forward + backward pass
     */
    static double perStep(ModelConfig c, int rows, int n, long trainedRows, int rank, List<String> targets) {
        double tokens = (double) rows * n;
        double projectionParams = 0;
        double lora = 0;
        for (String m : List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")) {
            projectionParams += (double) c.inFeatures(m) * c.outFeatures(m);
            if (targets.contains(m)) {
                lora += (double) rank * (c.inFeatures(m) + c.outFeatures(m));
            }
        }
        double projections = 2 * projectionParams * tokens * c.numLayers();
        double attention = 2.0 * 2.0 * rows * c.numHeads() * (double) n * n * c.headDim() * c.numLayers();
        double head = 2.0 * trainedRows * c.hiddenSize() * c.vocabSize();
        double loraForward = 2 * lora * tokens * c.numLayers();
        return 2 * projections + 3 * attention + 2 * head + 3 * loraForward;
    }
}
