package dev.livetune.llm.generate;

import dev.livetune.llm.model.DecoderModel;
import java.util.List;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * Generates a batch of sequences together: one prefill over all prompts (left-padded), then one
 * decode step per token for every sequence still running. A sequence that finishes leaves the
 * batch (its cache rows are dropped) so it stops costing compute. Servers that let requests join
 * a running batch use {@link ContinuousBatch} directly.
 */
public final class Generator {

    private final DecoderModel model;
    private final Supplier<TextStream> textStreams;
    private final RandomGenerator seeds;

    /**
     * @param model       the model
     * @param textStreams a new detokenizer per sequence ({@code () -> TextStream.NONE} without a tokenizer)
     * @param seeds       seeds for requests that do not bring their own
     */
    public Generator(DecoderModel model, Supplier<TextStream> textStreams, RandomGenerator seeds) {
        this.model = model;
        this.textStreams = textStreams;
        this.seeds = seeds;
    }

    /**
     * Runs every request to completion, together (see {@link ContinuousBatch}).
     *
     * @return one result per request, in order
     * @throws IllegalArgumentException when a prompt is longer than the model's context or holds an
     *                                  id outside the vocabulary
     */
    public List<GenerationResult> generate(List<GenerationRequest> requests) {
        try (ContinuousBatch batch = new ContinuousBatch(model, textStreams, seeds)) {
            List<ContinuousBatch.Handle> handles = batch.admit(requests);
            while (!batch.isEmpty()) {
                batch.step();
            }
            return handles.stream().map(ContinuousBatch.Handle::result).toList();
        }
    }
}
