package dev.livetune.llm.generate;

/** Why a sequence stopped (names match OpenAI's {@code finish_reason} where they overlap). */
public enum FinishReason {
    /** An eos id, a stop token id or a stop string ended it. */
    STOP,
    /** It reached {@code maxNewTokens}. */
    LENGTH,
    /** Its caller cancelled it. */
    CANCELLED
}
