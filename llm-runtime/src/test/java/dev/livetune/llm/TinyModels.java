package dev.livetune.llm;

import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.model.ModelConfig;
import dev.livetune.llm.model.ModelFamily;
import dev.livetune.llm.model.RandomModelWriter;
import dev.livetune.llm.model.RopeConfig;
import dev.livetune.llm.tokenizer.ByteLevelTokenizerWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/** Random-weight models with a byte-level tokenizer, made by the tests themselves. */
public final class TinyModels {

    private TinyModels() {
    }

    /** Writes a small model of the family to {@code dir}, with {@code maxPositions} of context. */
    public static Path write(TorchRuntime rt, Path dir, ModelFamily family, int maxPositions, long seed)
            throws IOException {
        ModelConfig config = new ModelConfig(family, 384, 64, 128, 2, 4, 2, 16, 1e-6, RopeConfig.plain(10000),
                maxPositions, family != ModelFamily.LLAMA, false, false, ByteLevelTokenizerWriter.BOS_ID,
                Arrays.stream(ByteLevelTokenizerWriter.eosIds()).boxed().toList());
        new RandomModelWriter(rt.json(), rt.manager()).writeModel(dir, config, seed);
        ByteLevelTokenizerWriter.write(dir, config.vocabSize(), maxPositions);
        return dir;
    }
}
