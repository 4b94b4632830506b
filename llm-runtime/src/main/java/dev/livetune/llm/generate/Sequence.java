package dev.livetune.llm.generate;

import dev.livetune.llm.model.Logits;
import dev.livetune.llm.model.ModelConfig;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/** One sequence being generated: its sampler, stop rules, detokenizer and output so far. */
final class Sequence {

    final GenerationRequest request;
    private final ModelConfig config;
    private final Sampler sampler;
    private final TextStream text;
    private final StopStringMatcher stops;
    private final Set<Integer> stopIds = new HashSet<>();
    private final List<Integer> out = new ArrayList<>();
    private final StringBuilder produced = new StringBuilder();
    private FinishReason finish;

    Sequence(GenerationRequest request, ModelConfig config, TextStream text, java.util.random.RandomGenerator seeds) {
        this.request = request;
        this.config = config;
        this.text = text;
        SamplingParams p = request.sampling();
        long seed = p.seed().orElseGet(seeds::nextLong);
        this.sampler = new Sampler(p, new SplittableRandom(seed), config.vocabSize(), request.promptIds());
        this.stops = new StopStringMatcher(p.stopStrings());
        stopIds.addAll(p.stopTokenIds());
        if (!p.ignoreEos()) {
            stopIds.addAll(config.eosTokenIds());
        }
    }

    /** Checks the request's ids against the model before it costs anything. */
    static void validate(GenerationRequest r, ModelConfig config) {
        if (r.promptIds().length >= config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("prompt of " + r.promptIds().length
                    + " tokens does not fit the context of " + config.maxPositionEmbeddings());
        }
        for (int id : r.promptIds()) {
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " outside vocabulary [0, "
                        + config.vocabSize() + ")");
            }
        }
    }

    boolean finished() {
        return finish != null;
    }

    int lastToken() {
        return out.get(out.size() - 1);
    }

    /** Ends the sequence if its caller gave up; returns whether it did. */
    boolean cancelIfAsked() {
        if (finish == null && request.cancelled().getAsBoolean()) {
            finish(FinishReason.CANCELLED, "");
        }
        return finish != null;
    }

    /** Samples the next token from {@code logits} row {@code row} and reports it. */
    void step(Logits logits, int row) {
        if (cancelIfAsked()) {
            return;
        }
        int token = sampler.next(logits.data(), logits.offset(row, 0));
        if (stopIds.contains(token)) {
            finish(FinishReason.STOP, stops.push(text.flush()) + stops.flush());
            return;
        }
        out.add(token);
        sampler.accept(token);
        String delta = stops.push(text.push(token));
        boolean atLimit = out.size() >= request.sampling().maxNewTokens()
                || request.promptIds().length + out.size() >= config.maxPositionEmbeddings();
        if (atLimit && !stops.stopped()) {
            delta += stops.push(text.flush());
            delta += stops.flush();
        }
        produced.append(delta);
        request.listener().onToken(token, delta);
        if (stops.stopped()) {
            finish(FinishReason.STOP, "");
        } else if (atLimit) {
            finish(FinishReason.LENGTH, "");
        }
    }

    private void finish(FinishReason reason, String rest) {
        produced.append(rest);
        finish = reason;
        request.listener().onFinish(rest, reason);
    }

    GenerationResult result() {
        return new GenerationResult(out.stream().mapToInt(Integer::intValue).toArray(), produced.toString(), finish,
                request.promptIds().length);
    }
}
