package dev.livetune.llm.train;

import ai.djl.ndarray.NDArray;

/**
 * One trainable tensor.
 *
 * @param name  its key in saved files (PEFT's or Hugging Face's tensor name)
 * @param value a float32 leaf tensor that requires gradients; optimizers update it in place
 * @param decay whether weight decay applies (not to biases and norm weights, as in Hugging Face's Trainer)
 */
public record Parameter(String name, NDArray value, boolean decay) {
}
