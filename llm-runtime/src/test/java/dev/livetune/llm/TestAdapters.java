package dev.livetune.llm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.llm.safetensors.SafetensorsCheckpoint;
import dev.livetune.llm.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Derives further PEFT adapters from a fixture adapter, so tests can mix different adapters in a batch. */
public final class TestAdapters {

    private TestAdapters() {
    }

    /**
     * Writes an adapter that keeps the first {@code rank} components of {@code source}, negates B,
     * and uses another alpha: a genuinely different adapter of a different rank.
     */
    public static Path lowerRank(Path source, Path target, int rank, double alpha, NDManager manager)
            throws IOException {
        ObjectMapper json = new ObjectMapper();
        Files.createDirectories(target);
        ObjectNode config = (ObjectNode) json.readTree(source.resolve("adapter_config.json").toFile());
        config.put("r", rank);
        config.put("lora_alpha", alpha);
        json.writeValue(target.resolve("adapter_config.json").toFile(), config);
        SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.openDirectory(source, "adapter_model", json);
        try (NDManager scratch = manager.newSubManager()) {
            Map<String, NDArray> out = new LinkedHashMap<>();
            for (String name : ckpt.names()) {
                NDArray t = ckpt.loadFloat32(name, scratch);
                out.put(name, name.contains("lora_A")
                        ? t.get(new NDIndex(":{}, :", rank)).duplicate()
                        : t.get(new NDIndex(":, :{}", rank)).neg());
            }
            new SafetensorsWriter(json).write(target.resolve("adapter_model.safetensors"), out, Map.of("format", "pt"));
        }
        return target;
    }
}
