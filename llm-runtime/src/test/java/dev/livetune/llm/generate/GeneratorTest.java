package dev.livetune.llm.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.BaseNDManager;
import dev.livetune.llm.LanguageModel;
import dev.livetune.llm.TestRuntime;
import dev.livetune.llm.TinyModels;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.lora.LoraAdapter;
import dev.livetune.llm.model.ModelConfigReader;
import dev.livetune.llm.model.ModelFamily;
import dev.livetune.llm.model.RandomModelWriter;
import dev.livetune.llm.tokenizer.ChatMessage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Generation end to end on a random model with a real (byte-level) tokenizer and chat template. */
class GeneratorTest {

    @TempDir
    static Path tmp;

    private static final TorchRuntime runtime = TestRuntime.shared();
    private static LanguageModel lm;

    @BeforeAll
    static void start() throws Exception {
        lm = LanguageModel.load(TinyModels.write(runtime, tmp.resolve("qwen3"), ModelFamily.QWEN3, 64, 11), runtime);
    }

    @AfterAll
    static void stop() {
        lm.close();
    }

    private static GenerationResult run(int[] prompt, SamplingParams p, TokenListener listener) {
        return lm.generator(new SplittableRandom(1))
                .generate(List.of(new GenerationRequest(prompt, null, p, listener, null))).get(0);
    }

    private static int[] chat(String text) {
        return lm.encodeChat(List.of(ChatMessage.user(text)));
    }

    @Test
    void streamedDeltasAddUpToTheFinalTextAndNeverSplitACharacter() {
        List<String> deltas = new ArrayList<>();
        StringBuilder tail = new StringBuilder();
        TokenListener listener = new TokenListener() {
            @Override
            public void onToken(int tokenId, String textDelta) {
                deltas.add(textDelta);
            }

            @Override
            public void onFinish(String remainingText, FinishReason reason) {
                tail.append(remainingText);
            }
        };
        SamplingParams p = SamplingParams.builder().setMaxNewTokens(24).optIgnoreEos(true).build();
        GenerationResult r = run(chat("héllo 日本"), p, listener);
        assertThat(deltas).hasSize(r.newIds().length);
        assertThat(String.join("", deltas) + tail).isEqualTo(r.text());
        assertThat(r.text()).isEqualTo(lm.tokenizer().orElseThrow().decode(r.newIds(), true));
        for (String d : deltas) {
            assertThat(Character.isHighSurrogate(d.isEmpty() ? 'a' : d.charAt(d.length() - 1))).isFalse();
        }
    }

    @Test
    void stopStringCutsTheTextAndEndsTheSequence() {
        SamplingParams free = SamplingParams.builder().setMaxNewTokens(30).optIgnoreEos(true).build();
        GenerationResult full = run(chat("stop here"), free, TokenListener.NONE);
        String text = full.text();
        // A stop string taken from the middle of what the model says anyway.
        int at = text.length() / 2;
        String stop = text.substring(at, Math.min(text.length(), at + 3));
        int expectedEnd = text.indexOf(stop);
        SamplingParams p = SamplingParams.builder().setMaxNewTokens(30).optIgnoreEos(true)
                .optStopStrings(List.of(stop)).build();
        StringBuilder streamed = new StringBuilder();
        GenerationResult r = run(chat("stop here"), p, (id, delta) -> streamed.append(delta));
        assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(r.text()).isEqualTo(text.substring(0, expectedEnd));
        assertThat(streamed.toString()).isEqualTo(r.text());
        assertThat(r.newIds().length).isLessThan(full.newIds().length);
    }

    @Test
    void stopTokenIdEndsGenerationAndIsNotPartOfTheOutput() {
        SamplingParams free = SamplingParams.builder().setMaxNewTokens(10).optIgnoreEos(true).build();
        int[] ids = run(chat("x"), free, TokenListener.NONE).newIds();
        SamplingParams p = SamplingParams.builder().setMaxNewTokens(10).optIgnoreEos(true)
                .optStopTokenIds(Set.of(ids[4])).build();
        GenerationResult r = run(chat("x"), p, TokenListener.NONE);
        int firstStop = 0;
        while (ids[firstStop] != ids[4]) {
            firstStop++;
        }
        assertThat(r.newIds()).containsExactly(java.util.Arrays.copyOf(ids, firstStop));
        assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
    }

    @Test
    void lengthLimitAndContextLimit() {
        GenerationResult r = run(chat("a"), SamplingParams.builder().setMaxNewTokens(5).optIgnoreEos(true).build(),
                TokenListener.NONE);
        assertThat(r.newIds()).hasSize(5);
        assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
        // 64 positions of context: the sequence stops when it is full, whatever maxNewTokens says.
        int[] prompt = new int[60];
        GenerationResult full = run(prompt, SamplingParams.builder().setMaxNewTokens(50).optIgnoreEos(true).build(),
                TokenListener.NONE);
        assertThat(full.newIds()).hasSize(4);
        assertThat(full.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThatThrownBy(() -> run(new int[64], SamplingParams.greedy(1), TokenListener.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not fit the context of 64");
        assertThatThrownBy(() -> run(new int[] {1, 384}, SamplingParams.greedy(1), TokenListener.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside vocabulary");
    }

    @Test
    void cancelledSequenceLeavesTheBatchWhileOthersContinue() {
        AtomicInteger seen = new AtomicInteger();
        SamplingParams p = SamplingParams.builder().setMaxNewTokens(12).optIgnoreEos(true).build();
        GenerationRequest cancelled = new GenerationRequest(chat("one"), null, p,
                (id, d) -> seen.incrementAndGet(), () -> seen.get() >= 3);
        GenerationRequest other = GenerationRequest.of(chat("two"), null, p);
        List<GenerationResult> r = lm.generator(new SplittableRandom(1)).generate(List.of(cancelled, other));
        assertThat(r.get(0).finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(r.get(0).newIds()).hasSize(3);
        assertThat(r.get(1).newIds()).hasSize(12);
        assertThat(r.get(1).newIds()).containsExactly(run(chat("two"), p, TokenListener.NONE).newIds());
    }

    @Test
    void seededSamplingIsReproducible() {
        SamplingParams p = SamplingParams.builder().setMaxNewTokens(16).optTemperature(1.2).optTopP(0.95)
                .optSeed(1234).optIgnoreEos(true).build();
        int[] a = run(chat("seed"), p, TokenListener.NONE).newIds();
        int[] b = run(chat("seed"), p, TokenListener.NONE).newIds();
        assertThat(a).containsExactly(b);
        SamplingParams other = SamplingParams.builder().setMaxNewTokens(16).optTemperature(1.2).optTopP(0.95)
                .optSeed(99).optIgnoreEos(true).build();
        assertThat(run(chat("seed"), other, TokenListener.NONE).newIds()).isNotEqualTo(a);
    }

    @Test
    void longRunsKeepNoNativeArraysBehind() throws Exception {
        Path adapterDir = tmp.resolve("adapter");
        new RandomModelWriter(runtime.json(), runtime.manager())
                .writeAdapter(adapterDir, lm.decoder().config(), 4, 8, ModelConfigReader.PROJECTIONS, 5);
        try (LoraAdapter adapter = lm.loadAdapter(adapterDir, "leak-check")) {
            BaseNDManager owner = (BaseNDManager) lm.decoder().manager();
            Generator g = lm.generator(new SplittableRandom(2));
            SamplingParams p = SamplingParams.builder().setMaxNewTokens(6).optTemperature(0.7).optIgnoreEos(true).build();
            g.generate(List.of(GenerationRequest.of(chat("warm"), adapter, p)));
            int before = owner.getManagedArrays().size();
            for (int i = 0; i < 40; i++) {
                g.generate(List.of(GenerationRequest.of(chat("a" + i), adapter, p),
                        GenerationRequest.of(chat("b"), null, SamplingParams.greedy(3 + i % 4)),
                        GenerationRequest.of(chat("c"), i % 2 == 0 ? adapter : null, p)));
            }
            assertThat(owner.getManagedArrays()).hasSize(before);
        }
    }
}
