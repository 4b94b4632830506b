package dev.livetune.llm.generate;

/**
 * What one sequence produced.
 *
 * @param newIds       generated token ids, without a final eos / stop token
 * @param text         their text, cut before a stop string (empty without a tokenizer)
 * @param finishReason why it stopped
 * @param promptTokens tokens in the prompt
 */
public record GenerationResult(int[] newIds, String text, FinishReason finishReason, int promptTokens) {
}
