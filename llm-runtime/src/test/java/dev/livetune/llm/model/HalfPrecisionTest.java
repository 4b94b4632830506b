package dev.livetune.llm.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.types.DataType;
import dev.livetune.llm.Fixtures;
import dev.livetune.llm.TestRuntime;
import dev.livetune.llm.engine.Precision;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.generate.GenerationRequest;
import dev.livetune.llm.generate.GenerationResult;
import dev.livetune.llm.generate.Generator;
import dev.livetune.llm.generate.SamplingParams;
import dev.livetune.llm.generate.TextStream;
import dev.livetune.llm.lora.LoraAdapter;
import dev.livetune.llm.lora.LoraBatch;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The float16 path ({@link Precision#FLOAT16}) against transformers' float32 reference, on the CPU:
 * the bound the llm-runtime README documents for half precision, and greedy tokens wherever the
 * reference's top-2 margin is clear of float16's rounding.
 */
class HalfPrecisionTest {

    /** ‖half − reference‖ / ‖reference‖ at every position (float32 is held to 1e-4 in HfParityTest). */
    static final double BOUND = 5e-3;
    /** Greedy steps compared while the reference's top-2 margin exceeds this. */
    static final double MARGIN = 1e-2;

    private static final TorchRuntime runtime = TestRuntime.shared();

    @ParameterizedTest(name = "{0} adapter={1}")
    @MethodSource("dev.livetune.llm.Fixtures#modelsWithAndWithoutAdapter")
    void halfPrecisionLogitsStayWithinTheDocumentedBound(String model, boolean withAdapter) {
        try (DecoderModel m = DecoderModel.load(Fixtures.dir(model), runtime.manager(), runtime.json(), Precision.FLOAT16);
                LoraAdapter adapter = withAdapter
                        ? LoraAdapter.load(Fixtures.adapter(model), model, m.config(), m.manager(), runtime.json())
                        : null) {
            assertThat(m.dataType()).isEqualTo(DataType.FLOAT16);
            assertThat(m.weights().layers()[0].qkv().getDataType()).isEqualTo(DataType.FLOAT16);
            double worst = 0;
            for (Fixtures.Case c : Fixtures.cases(model, withAdapter)) {
                try (KvCache cache = m.newCache(1, 8);
                        LoraBatch lora = LoraBatch.of(Arrays.asList(adapter), m.config(), m.manager())) {
                    Logits logits = m.prefill(cache, new int[][] {c.inputIds()}, lora, true);
                    for (int p = 0; p < c.inputIds().length; p++) {
                        worst = Math.max(worst, Fixtures.relativeError(logits.row(0, p), c.logits()[p]));
                    }
                }
            }
            System.out.printf("half precision %s adapter=%s: worst relative error %.2e%n", model, withAdapter, worst);
            assertThat(worst).as("%s adapter=%s", model, withAdapter).isLessThan(BOUND)
                    // Not float32 in disguise: half precision really rounds.
                    .isGreaterThan(1e-5);
        }
    }

    @ParameterizedTest(name = "{0} adapter={1}")
    @MethodSource("dev.livetune.llm.Fixtures#modelsWithAndWithoutAdapter")
    void halfPrecisionGreedyTokensMatchWhereTheMarginIsClear(String model, boolean withAdapter) {
        try (DecoderModel m = DecoderModel.load(Fixtures.dir(model), runtime.manager(), runtime.json(), Precision.FLOAT16);
                LoraAdapter adapter = withAdapter
                        ? LoraAdapter.load(Fixtures.adapter(model), model, m.config(), m.manager(), runtime.json())
                        : null) {
            Generator generator = new Generator(m, () -> TextStream.NONE, new SplittableRandom(1));
            int compared = 0;
            for (Fixtures.Case c : Fixtures.cases(model, withAdapter)) {
                int[] expected = c.greedyNewTokens();
                GenerationResult r = generator.generate(List.of(GenerationRequest.of(
                        c.inputIds(), adapter, SamplingParams.greedy(expected.length)))).get(0);
                for (int i = 0; i < expected.length && c.greedyTop2Margins()[i] > MARGIN; i++, compared++) {
                    assertThat(r.newIds()[i]).as("%s case %s step %d", model, c.inputIds().length, i)
                            .isEqualTo(expected[i]);
                }
            }
            assertThat(compared).as("steps compared for %s", model).isPositive();
        }
    }
}
