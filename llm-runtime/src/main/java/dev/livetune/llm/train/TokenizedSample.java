package dev.livetune.llm.train;

/**
 * A conversation as token ids, with the tokens the loss covers.
 *
 * @param ids     token ids
 * @param trained {@code trained[t]}: the model is taught to produce {@code ids[t]} (assistant turns
 *                and their end-of-turn markup); position 0 is never trained
 * @param source  where it came from, for messages ({@code train.jsonl line 12})
 */
public record TokenizedSample(int[] ids, boolean[] trained, String source) {

    /** @return how many tokens the loss covers */
    public int trainedTokens() {
        int n = 0;
        for (int t = 1; t < trained.length; t++) {
            n += trained[t] ? 1 : 0;
        }
        return n;
    }
}
