package dev.livetune.llm.generate;

import dev.livetune.llm.lora.LoraAdapter;
import java.util.function.BooleanSupplier;

/**
 * One sequence to continue.
 *
 * @param promptIds the prompt's token ids (non-empty)
 * @param adapter   the LoRA adapter to apply, or null for the base model
 * @param sampling  sampling and stopping rules
 * @param listener  receives tokens as they are generated
 * @param cancelled polled before every step; once true the sequence leaves the batch
 */
public record GenerationRequest(
        int[] promptIds, LoraAdapter adapter, SamplingParams sampling, TokenListener listener,
        BooleanSupplier cancelled) {

    public GenerationRequest {
        if (promptIds == null || promptIds.length == 0) {
            throw new IllegalArgumentException("prompt must have at least one token");
        }
        if (sampling == null) {
            throw new IllegalArgumentException("sampling parameters are required");
        }
        listener = listener == null ? TokenListener.NONE : listener;
        cancelled = cancelled == null ? () -> false : cancelled;
    }

    /** @return a request without streaming or cancellation */
    public static GenerationRequest of(int[] promptIds, LoraAdapter adapter, SamplingParams sampling) {
        return new GenerationRequest(promptIds, adapter, sampling, null, null);
    }
}
