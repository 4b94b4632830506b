package dev.livetune.llm.generate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livetune.llm.Fixtures;
import dev.livetune.llm.TestRuntime;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.lora.LoraAdapter;
import dev.livetune.llm.model.DecoderModel;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Greedy generation with the KV cache against transformers' greedy tokens (one full forward per step). */
class GreedyParityTest {

    private static final double MARGIN = 1e-3;
    private static final TorchRuntime runtime = TestRuntime.shared();

    @ParameterizedTest(name = "{0} adapter={1}")
    @MethodSource("dev.livetune.llm.Fixtures#modelsWithAndWithoutAdapter")
    void greedyTokensMatchWhereverTheReferenceMarginIsClear(String model, boolean withAdapter) {
        try (DecoderModel m = DecoderModel.load(Fixtures.dir(model), runtime.manager(), runtime.json());
                LoraAdapter adapter = withAdapter
                        ? LoraAdapter.load(Fixtures.adapter(model), model, m.config(), m.manager(), runtime.json())
                        : null) {
            Generator generator = new Generator(m, () -> TextStream.NONE, new SplittableRandom(1));
            List<Fixtures.Case> cases = Fixtures.cases(model, withAdapter);
            for (Fixtures.Case c : cases) {
                int[] expected = c.greedyNewTokens();
                GenerationResult r = generator.generate(List.of(GenerationRequest.of(
                        c.inputIds(), adapter, SamplingParams.greedy(expected.length)))).get(0);
                int comparable = 0;
                while (comparable < expected.length && c.greedyTop2Margins()[comparable] > MARGIN) {
                    comparable++;
                }
                // From a near-tie on, a float32 engine may pick the other token and everything after may differ.
                assertThat(r.newIds()).hasSizeGreaterThanOrEqualTo(comparable);
                for (int i = 0; i < comparable; i++) {
                    assertThat(r.newIds()[i]).as("%s case %s step %d", model, c.inputIds().length, i)
                            .isEqualTo(expected[i]);
                }
            }
        }
    }
}
