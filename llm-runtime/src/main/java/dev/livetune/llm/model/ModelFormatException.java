package dev.livetune.llm.model;

import java.nio.file.Path;

/**
 * A model, adapter or tokenizer file that livetune cannot use: missing, malformed, or asking for a
 * feature the runtime does not support. The message always names the file and the problem.
 */
public class ModelFormatException extends RuntimeException {

    private final Path file;

    /**
     * @param file    the offending file (or directory when the file itself is missing)
     * @param problem what is wrong with it, in words a user can act on
     */
    public ModelFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    /**
     * @param file    the offending file
     * @param problem what is wrong with it
     * @param cause   the parser or I/O error underneath
     */
    public ModelFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** @return the file the problem was found in */
    public Path file() {
        return file;
    }
}
