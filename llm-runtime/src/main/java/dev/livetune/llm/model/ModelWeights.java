package dev.livetune.llm.model;

import ai.djl.ndarray.NDArray;

/**
 * Every tensor a forward pass reads, in the runtime's layout (fused projections, RMSNorm weights
 * times √n; see {@link LayerWeights}). A loaded model has one set; full-parameter training derives a
 * fresh set from its trainable Hugging Face tensors on every step, so gradients flow back to them.
 *
 * @param embed     {@code model.embed_tokens.weight}, {@code [vocab, hidden]}
 * @param lmHead    {@code lm_head.weight}, or {@code embed} when tied
 * @param finalNorm {@code model.norm.weight} times √hidden
 * @param layers    one entry per decoder layer
 */
public record ModelWeights(NDArray embed, NDArray lmHead, NDArray finalNorm, LayerWeights[] layers) {
}
