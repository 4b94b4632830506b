package dev.livetune.llm.generate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livetune.llm.Fixtures;
import dev.livetune.llm.TestAdapters;
import dev.livetune.llm.TestRuntime;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.lora.LoraAdapter;
import dev.livetune.llm.lora.LoraBatch;
import dev.livetune.llm.model.DecoderModel;
import dev.livetune.llm.model.KvCache;
import dev.livetune.llm.model.Logits;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One batch mixing every fixture case with two different adapters (of different ranks) and none:
 * each row computes what it computes alone, through prefill and decode.
 */
class MixedBatchTest {

    private static final TorchRuntime runtime = TestRuntime.shared();

    @TempDir
    Path tmp;

    static List<String> models() {
        return Fixtures.MODELS;
    }

    private record Row(int[] ids, LoraAdapter adapter) {
    }

    @ParameterizedTest
    @MethodSource("models")
    void everyRowOfAMixedBatchMatchesItsSoloRun(String model) throws Exception {
        try (DecoderModel m = DecoderModel.load(Fixtures.dir(model), runtime.manager(), runtime.json());
                LoraAdapter first = LoraAdapter.load(Fixtures.adapter(model), "first", m.config(), m.manager(),
                        runtime.json());
                LoraAdapter second = LoraAdapter.load(
                        TestAdapters.lowerRank(Fixtures.adapter(model), tmp.resolve("second"), 2, 6.0, m.manager()),
                        "second", m.config(), m.manager(), runtime.json())) {
            List<Row> rows = new ArrayList<>();
            List<LoraAdapter> choices = Arrays.asList(null, first, second);
            for (Fixtures.Case c : Fixtures.cases(model, false)) {
                for (LoraAdapter a : choices) {
                    rows.add(new Row(c.inputIds(), a));
                }
            }
            assertPrefillMatchesSolo(m, rows);
            assertGenerationMatchesSolo(m, rows);
            assertFixtureAdapterRowsMatchTransformers(m, model, first);
        }
    }

    private void assertPrefillMatchesSolo(DecoderModel m, List<Row> rows) {
        int longest = rows.stream().mapToInt(r -> r.ids().length).max().orElseThrow();
        try (KvCache cache = m.newCache(rows.size(), longest);
                LoraBatch lora = LoraBatch.of(rows.stream().map(Row::adapter).toList(), m.config(), m.manager())) {
            Logits batched = m.prefill(cache, rows.stream().map(Row::ids).toArray(int[][]::new), lora, true);
            for (int b = 0; b < rows.size(); b++) {
                Row row = rows.get(b);
                Logits solo = solo(m, row);
                int pad = longest - row.ids().length;
                for (int p = 0; p < row.ids().length; p++) {
                    assertThat(relative(batched.row(b, pad + p), solo.row(0, p)))
                            .as("row %d (%s) position %d", b, row.adapter(), p).isLessThan(1e-5);
                }
            }
        }
    }

    private Logits solo(DecoderModel m, Row row) {
        try (KvCache cache = m.newCache(1, row.ids().length);
                LoraBatch lora = LoraBatch.of(Arrays.asList(row.adapter()), m.config(), m.manager())) {
            return m.prefill(cache, new int[][] {row.ids()}, lora, true);
        }
    }

    private void assertGenerationMatchesSolo(DecoderModel m, List<Row> rows) {
        Generator g = new Generator(m, () -> TextStream.NONE, new SplittableRandom(7));
        // Different lengths, so rows leave the batch at different steps.
        List<GenerationRequest> requests = new ArrayList<>();
        for (int b = 0; b < rows.size(); b++) {
            SamplingParams p = SamplingParams.builder().setMaxNewTokens(4 + b).optIgnoreEos(true).build();
            requests.add(GenerationRequest.of(rows.get(b).ids(), rows.get(b).adapter(), p));
        }
        List<GenerationResult> batched = g.generate(requests);
        for (int b = 0; b < rows.size(); b++) {
            GenerationResult alone = g.generate(List.of(requests.get(b))).get(0);
            assertThat(batched.get(b).newIds()).as("row %d", b).containsExactly(alone.newIds());
            assertThat(batched.get(b).finishReason()).isEqualTo(FinishReason.LENGTH);
        }
    }

    private void assertFixtureAdapterRowsMatchTransformers(DecoderModel m, String model, LoraAdapter fixture) {
        List<Fixtures.Case> cases = Fixtures.cases(model, true);
        List<LoraAdapter> adapters = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            adapters.add(i % 2 == 0 ? fixture : null);
        }
        List<Fixtures.Case> base = Fixtures.cases(model, false);
        int longest = cases.stream().mapToInt(c -> c.inputIds().length).max().orElseThrow();
        try (KvCache cache = m.newCache(cases.size(), longest);
                LoraBatch lora = LoraBatch.of(adapters, m.config(), m.manager())) {
            Logits out = m.prefill(cache, cases.stream().map(Fixtures.Case::inputIds).toArray(int[][]::new),
                    lora, true);
            for (int b = 0; b < cases.size(); b++) {
                Fixtures.Case c = adapters.get(b) != null ? cases.get(b) : base.get(b);
                int pad = longest - c.inputIds().length;
                for (int p = 0; p < c.inputIds().length; p++) {
                    assertThat(Fixtures.relativeError(out.row(b, pad + p), c.logits()[p]))
                            .as("row %d position %d", b, p).isLessThan(1e-4);
                }
            }
        }
    }

    private static double relative(float[] a, float[] b) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            diff += (a[i] - b[i]) * (double) (a[i] - b[i]);
            norm += b[i] * (double) b[i];
        }
        return Math.sqrt(diff / norm);
    }
}
