package dev.livetune.llm.generate;

/** Turns generated token ids into text deltas for one sequence, never splitting a UTF-8 character. */
public interface TextStream {

    /** @return the text this token completes (possibly empty while a character is incomplete) */
    String push(int tokenId);

    /** @return whatever is still held back at the end */
    String flush();

    /** A stream for models without a tokenizer: generation then works on token ids alone. */
    TextStream NONE = new TextStream() {
        @Override
        public String push(int tokenId) {
            return "";
        }

        @Override
        public String flush() {
            return "";
        }
    };
}
