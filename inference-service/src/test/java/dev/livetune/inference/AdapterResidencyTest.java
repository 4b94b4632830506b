package dev.livetune.inference;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livetune.api.adapter.AdapterRef;
import dev.livetune.llm.LanguageModel;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.model.ModelConfig;
import dev.livetune.llm.model.ModelFamily;
import dev.livetune.llm.model.RandomModelWriter;
import dev.livetune.llm.model.RopeConfig;
import dev.livetune.llm.tokenizer.ByteLevelTokenizerWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 #4: live versions were never evicted, so every tenant with an adapter held memory on every
 * replica for good. Now a replica keeps {@code maxResident} adapters, live ones included, and reads
 * an evicted live version (or one only pointed at, past the bound at startup) again when asked for.
 */
class AdapterResidencyTest {

    @Test
    void moreLiveAdaptersThanMemoryKeepsAreAllServed() throws Exception {
        Path root = Files.createTempDirectory("livetune-residency");
        try (TorchRuntime rt = TorchRuntime.start(1)) {
            ModelConfig config = new ModelConfig(ModelFamily.LLAMA, 261, 64, 128, 2, 4, 2, 16, 1e-6, RopeConfig.plain(10000), 512,
                    true, false, false, ByteLevelTokenizerWriter.BOS_ID,
                    Arrays.stream(ByteLevelTokenizerWriter.eosIds()).boxed().toList());
            RandomModelWriter writer = new RandomModelWriter(rt.json(), rt.manager());
            Path model = root.resolve("model");
            writer.writeModel(model, config, 11);
            ByteLevelTokenizerWriter.write(model, config.vocabSize(), 512);
            Path store = root.resolve("store");
            for (int t = 0; t < 5; t++) {
                ServedModel.writeAdapter(writer, config, ServedModel.adapterDir(store, "tenant" + t, "default", 1), 400 + t);
            }
            try (LanguageModel lm = LanguageModel.load(model, rt);
                    AdapterRegistry registry = new AdapterRegistry(lm, Optional.of(store), 2, false, s -> { }, () -> { })) {
                for (int t = 0; t < 3; t++) {
                    registry.load(AdapterRef.pinned("tenant" + t, "default", 1), Optional.empty(), true, false);
                }
                registry.point(AdapterRef.pinned("tenant3", "default", 1));
                registry.point(AdapterRef.pinned("tenant4", "default", 1));
                assertThat(registry.residentCount()).as("live versions evicted past the bound").isEqualTo(2);
                for (int round = 0; round < 2; round++) {
                    for (int t = 0; t < 5; t++) {
                        try (AdapterRegistry.Lease lease = registry.acquire("tenant" + t + "/default")) {
                            assertThat(lease.servedBy()).isEqualTo("tenant" + t + "/default@v1");
                        }
                        assertThat(registry.residentCount()).isLessThanOrEqualTo(2);
                    }
                }
            }
        } finally {
            ServedModel.deleteTree(root);
        }
    }
}
