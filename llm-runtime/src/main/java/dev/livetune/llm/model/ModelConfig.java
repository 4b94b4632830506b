package dev.livetune.llm.model;

import java.util.List;

/**
 * The shape of a decoder, read from a Hugging Face {@code config.json}.
 *
 * @param family                the decoder family
 * @param vocabSize             rows of {@code embed_tokens} and {@code lm_head}
 * @param hiddenSize            model width
 * @param intermediateSize      MLP width ({@code gate_proj}/{@code up_proj} outputs)
 * @param numLayers             decoder layers
 * @param numHeads              query heads
 * @param numKvHeads            key/value heads (GQA when fewer than {@code numHeads}, MQA when 1)
 * @param headDim               width of one head; Qwen3 sets it independently of {@code hiddenSize / numHeads}
 * @param rmsNormEps            epsilon inside every RMSNorm
 * @param rope                  rotary embedding settings
 * @param maxPositionEmbeddings longest context the model supports
 * @param tieWordEmbeddings     whether {@code lm_head} reuses {@code embed_tokens.weight}
 * @param attentionBias         whether every attention projection has a bias ({@code attention_bias})
 * @param mlpBias               whether the MLP projections have biases ({@code mlp_bias})
 * @param bosTokenId            beginning-of-sequence id, or -1
 * @param eosTokenIds           end-of-sequence ids declared in config.json (generation_config.json may add more)
 */
public record ModelConfig(
        ModelFamily family,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        double rmsNormEps,
        RopeConfig rope,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        boolean mlpBias,
        int bosTokenId,
        List<Integer> eosTokenIds) {

    public ModelConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /** @return heads that share one key/value head */
    public int queriesPerKv() {
        return numHeads / numKvHeads;
    }

    /** @return whether q/k/v projections carry a bias */
    public boolean qkvBias() {
        return attentionBias || family.alwaysQkvBias();
    }

    /** @return the output width of a projection module, by its Hugging Face name */
    public int outFeatures(String module) {
        return switch (module) {
            case "q_proj" -> numHeads * headDim;
            case "k_proj", "v_proj" -> numKvHeads * headDim;
            case "o_proj", "down_proj" -> hiddenSize;
            case "gate_proj", "up_proj" -> intermediateSize;
            default -> throw new IllegalArgumentException("not a projection: " + module);
        };
    }

    /** @return the input width of a projection module, by its Hugging Face name */
    public int inFeatures(String module) {
        return switch (module) {
            case "q_proj", "k_proj", "v_proj", "gate_proj", "up_proj" -> hiddenSize;
            case "o_proj" -> numHeads * headDim;
            case "down_proj" -> intermediateSize;
            default -> throw new IllegalArgumentException("not a projection: " + module);
        };
    }

    /** @return number of parameters, counting a tied head once */
    public long parameterCount() {
        long attention = (long) hiddenSize * numHeads * headDim * 2 + (long) hiddenSize * numKvHeads * headDim * 2;
        long mlp = 3L * hiddenSize * intermediateSize;
        long perLayer = attention + mlp + 2L * hiddenSize + (family.qkNorm() ? 2L * headDim : 0);
        long embeddings = (long) vocabSize * hiddenSize * (tieWordEmbeddings ? 1 : 2);
        return perLayer * numLayers + embeddings + hiddenSize;
    }
}
