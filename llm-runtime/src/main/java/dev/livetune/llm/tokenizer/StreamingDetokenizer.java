package dev.livetune.llm.tokenizer;

import java.util.Arrays;
import java.util.Objects;

/**
 * Turns generated token ids into text deltas without ever splitting a UTF-8 character, the way
 * transformers' {@code TextStreamer} and vLLM's incremental detokenizer do.
 *
 * <p>It keeps a small window of ids: {@code [prefixOffset, readOffset)} is text already emitted,
 * kept only as decoding context (SentencePiece-style decoders treat the first token of a sequence
 * differently, so a token is never decoded alone), and {@code [readOffset, end)} is pending. On each
 * push it decodes the window with and without the pending ids and emits the difference, unless the
 * decoded text ends with U+FFFD, which means a multi-byte character is not complete yet and the
 * pending ids are held back. Ids before the window are dropped, so each push costs O(window), not
 * O(all tokens).
 *
 * <p>Not thread-safe; use one per generated sequence.
 */
public final class StreamingDetokenizer {
    private static final char REPLACEMENT = '\uFFFD';

    private final TextTokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private int[] window = new int[16];
    private int size;
    private int readOffset;

    /**
     * @param tokenizer decodes the ids
     * @param skipSpecialTokens whether special tokens (e.g. {@code <|im_end|>}) are left out of the
     *     text
     */
    public StreamingDetokenizer(TextTokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /**
     * Adds one generated id.
     *
     * @return the text this id completes; empty when the text is held back (incomplete character)
     */
    public String push(int tokenId) {
        if (tokenId < 0) {
            throw new IllegalArgumentException("negative token id " + tokenId);
        }
        if (size == window.length) {
            window = Arrays.copyOf(window, size * 2);
        }
        window[size++] = tokenId;
        String prefixText = tokenizer.decode(window, 0, readOffset, skipSpecialTokens);
        String fullText = tokenizer.decode(window, 0, size, skipSpecialTokens);
        if (fullText.length() <= prefixText.length()
                || fullText.charAt(fullText.length() - 1) == REPLACEMENT) {
            return "";
        }
        String delta = delta(prefixText, fullText);
        advance();
        return delta;
    }

    /**
     * Ends the stream: returns whatever was held back (an incomplete character decodes to U+FFFD
     * here, as it would in a full decode) and resets for reuse.
     */
    public String flush() {
        String prefixText = tokenizer.decode(window, 0, readOffset, skipSpecialTokens);
        String fullText = tokenizer.decode(window, 0, size, skipSpecialTokens);
        String delta = fullText.length() > prefixText.length() ? delta(prefixText, fullText) : "";
        size = 0;
        readOffset = 0;
        return delta;
    }

    private static String delta(String prefixText, String fullText) {
        // Decoders normally reproduce the prefix; if one does not (it normalised across the boundary),
        // emit from the first differing char rather than cutting text in the middle.
        if (fullText.startsWith(prefixText)) {
            return fullText.substring(prefixText.length());
        }
        int common = 0;
        int max = Math.min(prefixText.length(), fullText.length());
        while (common < max && prefixText.charAt(common) == fullText.charAt(common)) {
            common++;
        }
        return fullText.substring(common);
    }

    /** The pending ids become context; older context is dropped. */
    private void advance() {
        int newPrefix = readOffset;
        System.arraycopy(window, newPrefix, window, 0, size - newPrefix);
        size -= newPrefix;
        readOffset = size;
    }
}
