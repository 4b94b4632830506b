package dev.livetune.llm.generate;

import dev.livetune.llm.lora.LoraAdapter;
import dev.livetune.llm.lora.LoraBatch;
import dev.livetune.llm.model.DecoderModel;
import dev.livetune.llm.model.KvCache;
import dev.livetune.llm.model.Logits;
import dev.livetune.llm.model.ModelConfig;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * Generates a batch of sequences together: one prefill over all prompts (left-padded), then one
 * decode step per token for every sequence still running. A sequence that finishes leaves the
 * batch (its cache rows are dropped) so it stops costing compute.
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

    /** One running sequence. */
    private final class Sequence {
        final GenerationRequest request;
        final Sampler sampler;
        final TextStream text = textStreams.get();
        final StopStringMatcher stops;
        final Set<Integer> stopIds = new HashSet<>();
        final List<Integer> out = new ArrayList<>();
        final StringBuilder produced = new StringBuilder();
        FinishReason finish;

        Sequence(GenerationRequest request) {
            ModelConfig config = model.config();
            this.request = request;
            SamplingParams p = request.sampling();
            long seed = p.seed().orElseGet(seeds::nextLong);
            this.sampler = new Sampler(p, new SplittableRandom(seed), config.vocabSize(), request.promptIds());
            this.stops = new StopStringMatcher(p.stopStrings());
            stopIds.addAll(p.stopTokenIds());
            if (!p.ignoreEos()) {
                stopIds.addAll(config.eosTokenIds());
            }
        }

        void step(Logits logits, int row) {
            if (request.cancelled().getAsBoolean()) {
                finish(FinishReason.CANCELLED, "");
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
                    || request.promptIds().length + out.size() >= model.config().maxPositionEmbeddings();
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

        void finish(FinishReason reason, String rest) {
            produced.append(rest);
            finish = reason;
            request.listener().onFinish(rest, reason);
        }

        GenerationResult result() {
            return new GenerationResult(out.stream().mapToInt(Integer::intValue).toArray(), produced.toString(),
                    finish, request.promptIds().length);
        }
    }

    /**
     * Runs every request to completion.
     *
     * @return one result per request, in order
     * @throws IllegalArgumentException when a prompt is longer than the model's context or holds an
     *                                  id outside the vocabulary
     */
    public List<GenerationResult> generate(List<GenerationRequest> requests) {
        ModelConfig config = model.config();
        List<Sequence> all = new ArrayList<>();
        int longest = 0;
        int maxNew = 0;
        for (GenerationRequest r : requests) {
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
            all.add(new Sequence(r));
            longest = Math.max(longest, r.promptIds().length);
            maxNew = Math.max(maxNew, r.sampling().maxNewTokens());
        }
        if (all.isEmpty()) {
            return List.of();
        }
        List<Sequence> active = new ArrayList<>(all);
        int capacity = Math.min(longest + maxNew, config.maxPositionEmbeddings());
        LoraBatch lora = loraOf(active);
        try (KvCache cache = model.newCache(active.size(), capacity)) {
            int[][] prompts = active.stream().map(s -> s.request.promptIds()).toArray(int[][]::new);
            Logits logits = model.prefill(cache, prompts, lora, false);
            while (true) {
                for (int i = 0; i < active.size(); i++) {
                    active.get(i).step(logits, i);
                }
                if (active.stream().anyMatch(s -> s.finish != null)) {
                    int[] keep = new int[(int) active.stream().filter(s -> s.finish == null).count()];
                    int k = 0;
                    for (int i = 0; i < active.size(); i++) {
                        if (active.get(i).finish == null) {
                            keep[k++] = i;
                        }
                    }
                    active.removeIf(s -> s.finish != null);
                    if (active.isEmpty()) {
                        break;
                    }
                    cache.retainRows(keep);
                    lora.close();
                    lora = loraOf(active);
                }
                int[][] next = new int[active.size()][1];
                for (int i = 0; i < active.size(); i++) {
                    List<Integer> out = active.get(i).out;
                    next[i][0] = out.get(out.size() - 1);
                }
                logits = model.forward(cache, next, lora, false);
            }
        } finally {
            lora.close();
        }
        return all.stream().map(Sequence::result).toList();
    }

    private LoraBatch loraOf(List<Sequence> rows) {
        List<LoraAdapter> adapters = new ArrayList<>();
        for (Sequence s : rows) {
            adapters.add(s.request.adapter());
        }
        return LoraBatch.of(adapters, model.config(), model.manager());
    }
}
