package dev.livetune.llm.model;

import ai.djl.ndarray.NDArray;

/**
 * The tensors of one decoder layer, all float32 and owned by the model's manager. Projections are
 * fused where they read the same input: q/k/v into {@code qkv}, gate/up into {@code gateUp}.
 *
 * @param inputNorm  {@code input_layernorm.weight} times √hidden (see DecoderModel#rmsNorm), {@code [hidden]}
 * @param qkv        {@code self_attn.{q,k,v}_proj.weight} stacked on the output axis,
 *                   {@code [(heads + 2 kvHeads) * headDim, hidden]}
 * @param qkvBias    matching biases, {@code [(heads + 2 kvHeads) * headDim]}, or null
 * @param qkNorm     Qwen3 {@code self_attn.q_norm.weight} repeated for every query head, then
 *                   {@code self_attn.k_norm.weight} for every key head, times √headDim:
 *                   {@code [heads + kvHeads, headDim]}, or null
 * @param o          {@code self_attn.o_proj.weight}, {@code [hidden, heads * headDim]}
 * @param oBias      {@code self_attn.o_proj.bias} or null
 * @param postNorm   {@code post_attention_layernorm.weight} times √hidden, {@code [hidden]}
 * @param gateUp     {@code mlp.gate_proj.weight} then {@code mlp.up_proj.weight}, {@code [2 * intermediate, hidden]}
 * @param gateUpBias matching biases or null
 * @param down       {@code mlp.down_proj.weight}, {@code [hidden, intermediate]}
 * @param downBias   {@code mlp.down_proj.bias} or null
 */
public record LayerWeights(
        NDArray inputNorm,
        NDArray qkv,
        NDArray qkvBias,
        NDArray qkNorm,
        NDArray o,
        NDArray oBias,
        NDArray postNorm,
        NDArray gateUp,
        NDArray gateUpBias,
        NDArray down,
        NDArray downBias) {
}
