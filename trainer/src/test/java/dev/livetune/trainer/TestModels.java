package dev.livetune.trainer;

import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.model.ModelConfig;
import dev.livetune.llm.model.ModelFamily;
import dev.livetune.llm.model.RandomModelWriter;
import dev.livetune.llm.model.RopeConfig;
import dev.livetune.llm.tokenizer.ByteLevelTokenizerWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/** Small random-weight llama models with a byte-level tokenizer and a ChatML template. */
final class TestModels {

    private static final TorchRuntime RUNTIME = TorchRuntime.start(1);

    private TestModels() {
    }

    static Path write(Path dir, int hidden, int layers, long seed) throws IOException {
        ModelConfig config = new ModelConfig(ModelFamily.LLAMA, 261, hidden, hidden * 2, layers, 4, 2, hidden / 4,
                1e-6, RopeConfig.plain(10000), 1024, true, false, false, ByteLevelTokenizerWriter.BOS_ID,
                Arrays.stream(ByteLevelTokenizerWriter.eosIds()).boxed().toList());
        new RandomModelWriter(RUNTIME.json(), RUNTIME.manager()).writeModel(dir, config, seed);
        ByteLevelTokenizerWriter.write(dir, config.vocabSize(), 1024);
        return dir;
    }
}
