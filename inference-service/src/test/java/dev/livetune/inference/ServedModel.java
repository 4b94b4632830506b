package dev.livetune.inference;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.generate.GenerationDefaults;
import dev.livetune.llm.model.ModelConfig;
import dev.livetune.llm.model.ModelFamily;
import dev.livetune.llm.model.RandomModelWriter;
import dev.livetune.llm.model.RopeConfig;
import dev.livetune.llm.tokenizer.ByteLevelTokenizerWriter;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.stream.Stream;

/**
 * A small random llama with a byte-level tokenizer, and an artifact store holding adapter versions
 * with their {@code livetune.json}: acme/support v1..v4, globex/default v1 (live at startup:
 * acme/support@v1 and globex/default@v1), and initech/default v1, whose weights were changed after
 * its manifest (listed for startup too, and refused).
 */
public class ServedModel implements QuarkusTestResourceLifecycleManager {

    public static final String ADMIN_TOKEN = "test-admin-token";
    /** The model's generation_config.json sampling defaults (every other test sets its parameters). */
    static final GenerationDefaults SAMPLING_DEFAULTS = new GenerationDefaults(Optional.of(true), OptionalDouble.of(0.25),
            OptionalDouble.of(0.75), OptionalInt.of(7), OptionalDouble.of(1.15), OptionalInt.of(9));
    static Path root;

    @Override
    public Map<String, String> start() {
        try {
            root = Files.createTempDirectory("livetune-inference-test");
            Path model = root.resolve("model");
            Path store = root.resolve("store");
            ModelConfig config = new ModelConfig(ModelFamily.LLAMA, 261, 64, 128, 2, 4, 2, 16, 1e-6,
                    RopeConfig.plain(10000), 512, true, false, false, ByteLevelTokenizerWriter.BOS_ID,
                    Arrays.stream(ByteLevelTokenizerWriter.eosIds()).boxed().toList());
            try (TorchRuntime rt = TorchRuntime.start(1)) {
                RandomModelWriter writer = new RandomModelWriter(rt.json(), rt.manager());
                writer.writeModel(model, config, 11);
                ByteLevelTokenizerWriter.write(model, config.vocabSize(), 512);
                SAMPLING_DEFAULTS.writeInto(model, rt.json());
                for (int v = 1; v <= 4; v++) {
                    writeAdapter(writer, config, adapterDir(store, "acme", "support", v), 100 + v);
                }
                writeAdapter(writer, config, adapterDir(store, "globex", "default", 1), 200);
                // Tampered after its manifest was written: verification refuses it at startup.
                Path tampered = adapterDir(store, "initech", "default", 1);
                writeAdapter(writer, config, tampered, 300);
                byte[] weights = Files.readAllBytes(tampered.resolve("adapter_model.safetensors"));
                weights[weights.length - 1] ^= 0x55;
                Files.write(tampered.resolve("adapter_model.safetensors"), weights);
            }
            return Map.of(
                    "livetune.inference.model-dir", model.toString(),
                    "livetune.inference.artifacts-dir", store.toString(),
                    "livetune.inference.admin-token", ADMIN_TOKEN,
                    "livetune.inference.adapters", "acme/support@v1,initech/default@v1,globex/default@v1",
                    "livetune.inference.max-waiting", "256",
                    "livetune.inference.max-prompt-tokens", "200",
                    "livetune.inference.threads", "2");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path adapterDir(Path store, String tenant, String name, int version) {
        return store.resolve("tenants").resolve(tenant).resolve("adapters").resolve(name).resolve("v" + version);
    }

    /** A random adapter strong enough to change greedy output, with a livetune.json listing sha256s. */
    static void writeAdapter(RandomModelWriter writer, ModelConfig config, Path dir, long seed) throws IOException {
        writer.writeAdapter(dir, config, 4, 256, List.of("q_proj", "v_proj", "o_proj", "down_proj"), seed);
        ObjectMapper json = new ObjectMapper();
        ObjectNode manifest = json.createObjectNode();
        manifest.put("schema_version", 1);
        manifest.put("kind", "lora");
        ObjectNode files = manifest.putObject("files");
        try (Stream<Path> list = Files.list(dir)) {
            for (Path f : list.sorted().toList()) {
                files.put(f.getFileName().toString(), dev.livetune.api.adapter.Sha256.of(f));
            }
        }
        json.writeValue(dir.resolve("livetune.json").toFile(), manifest);
    }

    @Override
    public void stop() {
        deleteTree(root);
    }

    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
