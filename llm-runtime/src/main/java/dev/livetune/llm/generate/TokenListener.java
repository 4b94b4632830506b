package dev.livetune.llm.generate;

/** Receives each generated token as soon as it is chosen. Called on the generating thread: keep it short. */
@FunctionalInterface
public interface TokenListener {

    /**
     * @param tokenId   the token
     * @param textDelta the text it adds (empty while a UTF-8 character is incomplete, or without a tokenizer)
     */
    void onToken(int tokenId, String textDelta);

    /**
     * Called once when the sequence ends.
     *
     * @param remainingText text held back until the end (an unfinished prefix of a stop string, say)
     * @param reason        why it ended
     */
    default void onFinish(String remainingText, FinishReason reason) {
    }

    /** A listener that ignores everything. */
    TokenListener NONE = (id, text) -> { };
}
