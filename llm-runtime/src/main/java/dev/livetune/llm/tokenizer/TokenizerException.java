package dev.livetune.llm.tokenizer;

/**
 * Unchecked failure of the tokenizer package: an unreadable or malformed tokenizer file, an
 * unsupported tokenizer feature, or a chat template that fails to render. The message always names
 * the file (or "chat template") and the problem, e.g. {@code "tokenizer_config.json: chat_template is
 * not a string or list"}.
 */
public class TokenizerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TokenizerException(String message) {
        super(message);
    }

    public TokenizerException(String message, Throwable cause) {
        super(message, cause);
    }
}
