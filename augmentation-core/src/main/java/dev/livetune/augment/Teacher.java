package dev.livetune.augment;

import java.io.IOException;
import java.util.List;

/**
 * The generator behind augmentation: writes training pairs for what a user taught and held-out
 * questions to check it was learned. {@link RulesTeacher} is the offline default;
 * {@link PromptedTeacher}s ask a language model (the tenant's own, or any OpenAI-compatible one).
 */
public interface Teacher {

    /** @return {@code rules}, {@code self} or {@code openai}, as recorded with the samples */
    String name();

    /**
     * Self-instruct: many diverse questions a user might ask, with answers, for facts, preferences or
     * skills stated in a message.
     *
     * @param statements what the user taught
     * @param context    recent turns of the conversation it came from, oldest first (may be empty)
     * @param perFact    pairs to aim for per statement
     */
    List<QA> selfInstruct(String statements, List<String> context, int perFact) throws IOException, InterruptedException;

    /**
     * Instruction backtranslation: requests a user might make that this chunk of a document answers,
     * each paired with an answer taken from the chunk.
     *
     * @param title the chunk's heading path (may be empty)
     * @param n     pairs to aim for
     */
    List<QA> backtranslate(String title, String chunk, int n) throws IOException, InterruptedException;

    /** @return held-out questions (never trained on) whose answers must contain a value from the text */
    List<ProbeQuestion> probes(String text) throws IOException, InterruptedException;
}
