package dev.livetune.llm.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livetune.llm.Fixtures;
import dev.livetune.llm.TestRuntime;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.lora.LoraAdapter;
import dev.livetune.llm.lora.LoraBatch;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Logits of every fixture model, base and with its PEFT adapter, against Hugging Face's. */
class HfParityTest {

    private static final TorchRuntime runtime = TestRuntime.shared();

    @ParameterizedTest(name = "{0} adapter={1}")
    @MethodSource("dev.livetune.llm.Fixtures#modelsWithAndWithoutAdapter")
    void logitsMatchTransformersAtEveryPosition(String model, boolean withAdapter) {
        try (DecoderModel m = DecoderModel.load(Fixtures.dir(model), runtime.manager(), runtime.json());
                LoraAdapter adapter = withAdapter
                        ? LoraAdapter.load(Fixtures.adapter(model), model, m.config(), m.manager(), runtime.json())
                        : null) {
            for (Fixtures.Case c : Fixtures.cases(model, withAdapter)) {
                try (KvCache cache = m.newCache(1, 8);
                        LoraBatch lora = LoraBatch.of(Arrays.asList(adapter), m.config(), m.manager())) {
                    Logits logits = m.prefill(cache, new int[][] {c.inputIds()}, lora, true);
                    for (int p = 0; p < c.inputIds().length; p++) {
                        double err = Fixtures.relativeError(logits.row(0, p), c.logits()[p]);
                        assertThat(err).as("%s case len %d position %d", model, c.inputIds().length, p)
                                .isLessThan(1e-4);
                    }
                }
            }
        }
    }
}
