package dev.livetune.llm.model;

import java.util.Arrays;
import java.util.Optional;

/**
 * The decoder families the runtime implements. They share one transformer body; a family only
 * decides which optional tensors exist.
 */
public enum ModelFamily {
    /** {@code LlamaForCausalLM}: TinyLlama, SmolLM2, Llama 3.x. Biases only when {@code attention_bias}/{@code mlp_bias}. */
    LLAMA("LlamaForCausalLM", "llama", false, false),
    /** {@code Qwen2ForCausalLM}: Qwen2 / Qwen2.5. Always a bias on q/k/v_proj, none on o_proj. */
    QWEN2("Qwen2ForCausalLM", "qwen2", true, false),
    /** {@code Qwen3ForCausalLM}: Qwen3. RMSNorm per head on q and k ({@code q_norm}, {@code k_norm}) before RoPE. */
    QWEN3("Qwen3ForCausalLM", "qwen3", false, true);

    private final String architecture;
    private final String modelType;
    private final boolean qkvBias;
    private final boolean qkNorm;

    ModelFamily(String architecture, String modelType, boolean qkvBias, boolean qkNorm) {
        this.architecture = architecture;
        this.modelType = modelType;
        this.qkvBias = qkvBias;
        this.qkNorm = qkNorm;
    }

    /** @return the Hugging Face class name in {@code config.json}'s {@code architectures} */
    public String architecture() {
        return architecture;
    }

    /** @return the {@code model_type} written in {@code config.json} */
    public String modelType() {
        return modelType;
    }

    /** @return whether q/k/v projections always carry a bias regardless of {@code attention_bias} */
    public boolean alwaysQkvBias() {
        return qkvBias;
    }

    /** @return whether attention has per-head RMSNorm on queries and keys */
    public boolean qkNorm() {
        return qkNorm;
    }

    /** @return the family of a Hugging Face architecture name, if supported */
    public static Optional<ModelFamily> ofArchitecture(String architecture) {
        return Arrays.stream(values()).filter(f -> f.architecture.equals(architecture)).findFirst();
    }

    /** @return the family of a lower-case short name ({@code llama}, {@code qwen2}, {@code qwen3}) */
    public static Optional<ModelFamily> ofModelType(String modelType) {
        return Arrays.stream(values()).filter(f -> f.modelType.equals(modelType)).findFirst();
    }
}
