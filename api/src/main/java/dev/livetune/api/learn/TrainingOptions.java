package dev.livetune.api.learn;

/**
 * What a fine-tuning job's client chose for its training (OpenAI's {@code hyperparameters},
 * {@code seed} and {@code validation_file}); a null component is {@code "auto"}: livetune's own
 * choice.
 *
 * @param epochs                 passes over the job's samples ({@code n_epochs}), 1 to 50; auto: the
 *                               step budget that grows with what the adapter already knows
 * @param batchSize              samples per optimizer step ({@code batch_size}), 1 to 256
 * @param learningRateMultiplier multiplies the trainer's learning rate ({@code learning_rate_multiplier}),
 *                               above 0, at most 10
 * @param seed                   the training seed; the same data and seed give the same adapter bytes
 * @param validationFile         a chat-format JSONL file whose conversations the eval gate asks as
 *                               new-knowledge probes (supervised jobs; by default the training
 *                               file's own conversations are asked)
 */
public record TrainingOptions(Integer epochs, Integer batchSize, Double learningRateMultiplier, Long seed,
        String validationFile) {

    /** The trainer's learning rate when its config names none (its {@code HyperParameters} default). */
    public static final double DEFAULT_LEARNING_RATE = 5e-3;

    public static final TrainingOptions AUTO = new TrainingOptions(null, null, null, null, null);

    public TrainingOptions {
        check(epochs == null || (epochs >= 1 && epochs <= 50), "n_epochs must be from 1 to 50");
        check(batchSize == null || (batchSize >= 1 && batchSize <= 256), "batch_size must be from 1 to 256");
        check(learningRateMultiplier == null || (learningRateMultiplier > 0 && learningRateMultiplier <= 10),
                "learning_rate_multiplier must be above 0 and at most 10");
    }

    /** @return whether every choice is left to livetune */
    public boolean auto() {
        return equals(AUTO);
    }

    private static void check(boolean ok, String why) {
        if (!ok) {
            throw new IllegalArgumentException(why);
        }
    }
}
