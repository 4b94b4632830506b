package dev.livetune.llm.generate;

import dev.livetune.llm.lora.LoraAdapter;
import dev.livetune.llm.lora.LoraBatch;
import dev.livetune.llm.model.DecoderModel;
import dev.livetune.llm.model.KvCache;
import dev.livetune.llm.model.Logits;
import dev.livetune.llm.model.ModelConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * A batch that sequences join and leave between decode steps (continuous batching). New requests
 * are prefilled together, take their first token, and their cache rows are appended to the running
 * batch's; every {@link #step()} then advances every running sequence by one token. A sequence that
 * finishes, or whose caller cancels, leaves before the next step and its cache rows are freed.
 *
 * <p>Not thread-safe: one thread admits and steps (a scheduler loop); listeners run on it.
 */
public final class ContinuousBatch implements AutoCloseable {

    private final DecoderModel model;
    private final Supplier<TextStream> textStreams;
    private final RandomGenerator seeds;
    private final List<Sequence> active = new ArrayList<>();
    private KvCache cache;
    private LoraBatch lora = LoraBatch.none();

    /**
     * @param model       the model
     * @param textStreams a new detokenizer per sequence ({@code () -> TextStream.NONE} without a tokenizer)
     * @param seeds       seeds for requests that do not bring their own
     */
    public ContinuousBatch(DecoderModel model, Supplier<TextStream> textStreams, RandomGenerator seeds) {
        this.model = model;
        this.textStreams = textStreams;
        this.seeds = seeds;
    }

    /** @return sequences running */
    public int size() {
        return active.size();
    }

    /** @return key/value positions the batch's cache holds now, every row and left padding included */
    public long cachedPositions() {
        return cache == null ? 0 : (long) cache.batchSize() * cache.length();
    }

    /** @return key/value positions the batch's cache has allocated */
    public long cacheCapacity() {
        return cache == null ? 0 : (long) cache.batchSize() * cache.capacity();
    }

    /** @return whether nothing is running */
    public boolean isEmpty() {
        return active.isEmpty();
    }

    /**
     * Prefills {@code requests} together, samples their first tokens and adds those still running to
     * the batch.
     *
     * @return a handle per request, in order, for its result
     * @throws IllegalArgumentException when a prompt does not fit the context or holds an id outside
     *                                  the vocabulary (nothing is admitted then)
     */
    public List<Handle> admit(List<GenerationRequest> requests) {
        ModelConfig config = model.config();
        for (GenerationRequest r : requests) {
            Sequence.validate(r, config);
        }
        List<Sequence> joining = new ArrayList<>();
        for (GenerationRequest r : requests) {
            joining.add(new Sequence(r, config, textStreams.get(), seeds));
        }
        List<Handle> handles = joining.stream().map(Handle::new).toList();
        List<Sequence> live = new ArrayList<>();
        for (Sequence s : joining) {
            if (!s.cancelIfAsked()) {
                live.add(s);
            }
        }
        if (live.isEmpty()) {
            return handles;
        }
        int longest = 0;
        int maxNew = 0;
        for (Sequence s : live) {
            longest = Math.max(longest, s.request.promptIds().length);
            maxNew = Math.max(maxNew, s.request.sampling().maxNewTokens());
        }
        KvCache fresh = model.newCache(live.size(), Math.min(longest + maxNew, config.maxPositionEmbeddings()));
        boolean absorbed = false;
        try (LoraBatch prefillLora = loraOf(live)) {
            int[][] prompts = live.stream().map(s -> s.request.promptIds()).toArray(int[][]::new);
            Logits logits = model.prefill(fresh, prompts, prefillLora, false);
            for (int i = 0; i < live.size(); i++) {
                live.get(i).step(logits, i);
            }
            int[] keep = running(live);
            if (keep.length > 0) {
                if (keep.length < live.size()) {
                    fresh.retainRows(keep);
                }
                List<Sequence> staying = new ArrayList<>();
                for (int i : keep) {
                    staying.add(live.get(i));
                }
                if (cache == null) {
                    cache = fresh;
                } else {
                    cache.absorb(fresh);
                }
                absorbed = true;
                active.addAll(staying);
                rebuildLora();
            }
        } finally {
            if (!absorbed) {
                fresh.close();
            }
        }
        return handles;
    }

    /**
     * Drops cancelled sequences, then runs one decode step for every running sequence.
     */
    public void step() {
        boolean changed = false;
        for (Sequence s : active) {
            changed |= s.cancelIfAsked();
        }
        if (changed) {
            dropFinished();
        }
        if (active.isEmpty()) {
            return;
        }
        int[][] next = new int[active.size()][1];
        for (int i = 0; i < active.size(); i++) {
            next[i][0] = active.get(i).lastToken();
        }
        Logits logits = model.forward(cache, next, lora, false);
        for (int i = 0; i < active.size(); i++) {
            active.get(i).step(logits, i);
        }
        if (active.stream().anyMatch(Sequence::finished)) {
            dropFinished();
        }
    }

    private static int[] running(List<Sequence> rows) {
        int[] keep = new int[(int) rows.stream().filter(s -> !s.finished()).count()];
        int k = 0;
        for (int i = 0; i < rows.size(); i++) {
            if (!rows.get(i).finished()) {
                keep[k++] = i;
            }
        }
        return keep;
    }

    private void dropFinished() {
        int[] keep = running(active);
        active.removeIf(Sequence::finished);
        if (active.isEmpty()) {
            cache.close();
            cache = null;
        } else {
            cache.retainRows(keep);
            cache.trimPadding();
        }
        rebuildLora();
    }

    private void rebuildLora() {
        lora.close();
        lora = active.isEmpty() ? LoraBatch.none() : loraOf(active);
    }

    private LoraBatch loraOf(List<Sequence> rows) {
        List<LoraAdapter> adapters = new ArrayList<>();
        for (Sequence s : rows) {
            adapters.add(s.request.adapter());
        }
        return LoraBatch.of(adapters, model.config(), model.manager());
    }

    /** Frees the cache; running sequences are abandoned without a finish callback. */
    @Override
    public void close() {
        lora.close();
        if (cache != null) {
            cache.close();
            cache = null;
        }
        active.clear();
    }

    /** A request's progress. */
    public static final class Handle {
        private final Sequence sequence;

        private Handle(Sequence sequence) {
            this.sequence = sequence;
        }

        /** @return whether it has finished */
        public boolean finished() {
            return sequence.finished();
        }

        /** @return the result so far (complete once finished) */
        public GenerationResult result() {
            return sequence.result();
        }
    }
}
