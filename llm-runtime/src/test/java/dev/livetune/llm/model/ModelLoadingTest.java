package dev.livetune.llm.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.llm.Fixtures;
import dev.livetune.llm.TestRuntime;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.lora.LoraBatch;
import dev.livetune.llm.safetensors.Bfloat16;
import dev.livetune.llm.safetensors.SafetensorsCheckpoint;
import dev.livetune.llm.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every checkpoint and config form the loader accepts, and the clear errors for those it does not. */
class ModelLoadingTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int[] IDS = {1, 300, 301, 302, 5, 5, 5, 60, 61, 62, 63, 2, 99};
    private static final TorchRuntime runtime = TestRuntime.shared();

    @TempDir
    Path tmp;

    @Test
    void acceptsTransformers4ConfigWithTopLevelRopeThetaAndRopeScaling() throws IOException {
        Path dir = copy("llama3-ropescaled-tied");
        ObjectNode c = config(dir);
        ObjectNode params = (ObjectNode) c.remove("rope_parameters");
        c.put("rope_theta", params.remove("rope_theta").asDouble());
        params.set("type", params.remove("rope_type")); // the oldest 4.x spelling
        c.set("rope_scaling", params);
        JSON.writeValue(dir.resolve("config.json").toFile(), c);

        assertThat(logits(dir)).containsExactly(logits(Fixtures.dir("llama3-ropescaled-tied")));
        assertThat(new ModelConfigReader(JSON).read(dir).rope().type()).isEqualTo("llama3");
    }

    @Test
    void loadsShardedCheckpointThroughItsIndex() throws IOException {
        Path dir = copy("qwen2-bias-tied");
        Path single = dir.resolve("model.safetensors");
        SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.openFile(single, JSON);
        Map<String, NDArray> first = new LinkedHashMap<>();
        Map<String, NDArray> second = new LinkedHashMap<>();
        ObjectNode index = JSON.createObjectNode();
        ObjectNode weightMap = index.putObject("weight_map");
        try (NDManager m = runtime.manager().newSubManager()) {
            for (String name : ckpt.names()) {
                boolean late = name.contains("layers.1") || name.equals("model.norm.weight");
                (late ? second : first).put(name, ckpt.loadFloat32(name, m));
                weightMap.put(name, late ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors");
            }
            new SafetensorsWriter(JSON).write(dir.resolve("model-00001-of-00002.safetensors"), first, Map.of());
            new SafetensorsWriter(JSON).write(dir.resolve("model-00002-of-00002.safetensors"), second, Map.of());
        }
        Files.delete(single);
        JSON.writeValue(dir.resolve("model.safetensors.index.json").toFile(), index);

        assertThat(logits(dir)).containsExactly(logits(Fixtures.dir("qwen2-bias-tied")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"FLOAT16", "BFLOAT16"})
    void loadsHalfPrecisionWeightsAsFloat32(String dtype) throws IOException {
        boolean bf16 = dtype.equals("BFLOAT16");
        Path dir = copy("qwen3-qknorm");
        Path file = dir.resolve("model.safetensors");
        SafetensorsCheckpoint original = SafetensorsCheckpoint.openFile(file, JSON);
        try (NDManager m = runtime.manager().newSubManager()) {
            Map<String, NDArray> full = new LinkedHashMap<>();
            for (String name : original.names()) {
                NDArray t = original.loadFloat32(name, m);
                full.put(name, bf16 ? t : t.toType(DataType.FLOAT16, false));
            }
            new SafetensorsWriter(JSON).write(file, full, Map.of(), bf16 ? DataType.BFLOAT16 : null);
            SafetensorsCheckpoint reread = SafetensorsCheckpoint.openFile(file, JSON);
            for (String name : original.names()) {
                assertThat(reread.info(name).dtype()).isEqualTo(bf16 ? "BF16" : "F16");
                NDArray loaded = reread.loadFloat32(name, m);
                assertThat(loaded.getDataType()).isEqualTo(DataType.FLOAT32);
                assertThat(loaded.getShape().getShape()).containsExactly(reread.info(name).shape());
                float[] expected = full.get(name).toType(DataType.FLOAT32, false).toFloatArray();
                if (bf16) {
                    for (int i = 0; i < expected.length; i++) {
                        expected[i] = Bfloat16.toFloat(Bfloat16.fromFloat(expected[i]));
                    }
                }
                assertThat(loaded.toFloatArray()).as(name).containsExactly(expected);
            }
        }
        double err = relative(logits(dir), logits(Fixtures.dir("qwen3-qknorm")));
        assertThat(err).as("rounding weights to %s moves logits a little, not a lot", dtype).isBetween(1e-7, 5e-2);
    }

    @Test
    void roundsToBfloat16LikeTorch() {
        // torch.tensor([1.00390625, 1.01171875, -2.5, 3.0e38]).to(torch.bfloat16): ties go to even.
        assertThat(Bfloat16.toFloat(Bfloat16.fromFloat(1.00390625f))).isEqualTo(1.0f);
        assertThat(Bfloat16.toFloat(Bfloat16.fromFloat(1.01171875f))).isEqualTo(1.015625f);
        assertThat(Bfloat16.toFloat(Bfloat16.fromFloat(-2.5f))).isEqualTo(-2.5f);
        assertThat(Float.isNaN(Bfloat16.toFloat(Bfloat16.fromFloat(Float.NaN)))).isTrue();
    }

    @Test
    void rejectsUnsupportedArchitectureNamingTheFile() throws IOException {
        Path dir = copy("llama-gqa");
        ObjectNode c = config(dir);
        c.putArray("architectures").add("MistralForCausalLM");
        JSON.writeValue(dir.resolve("config.json").toFile(), c);
        assertThatThrownBy(() -> load(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("config.json").hasMessageContaining("MistralForCausalLM")
                .hasMessageContaining("not supported");
    }

    @Test
    void rejectsMalformedConfigJson() throws IOException {
        Path dir = copy("llama-gqa");
        Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 64,");
        assertThatThrownBy(() -> load(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("config.json").hasMessageContaining("malformed JSON");
    }

    @Test
    void rejectsUnknownRopeType() throws IOException {
        Path dir = copy("llama-gqa");
        ObjectNode c = config(dir);
        ((ObjectNode) c.get("rope_parameters")).put("rope_type", "yarn");
        JSON.writeValue(dir.resolve("config.json").toFile(), c);
        assertThatThrownBy(() -> load(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("config.json").hasMessageContaining("'yarn' is not supported");
    }

    @Test
    void rejectsCheckpointWhoseShapesDoNotMatchTheConfig() throws IOException {
        Path dir = copy("llama-gqa");
        ObjectNode c = config(dir);
        c.put("intermediate_size", 128);
        JSON.writeValue(dir.resolve("config.json").toFile(), c);
        assertThatThrownBy(() -> load(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("model.safetensors").hasMessageContaining("mlp.gate_proj.weight")
                .hasMessageContaining("[160, 64]").hasMessageContaining("[128, 64]");
    }

    @Test
    void rejectsMissingTensor() throws IOException {
        Path dir = copy("llama-gqa");
        ObjectNode c = config(dir);
        c.put("tie_word_embeddings", false);
        c.put("attention_bias", true);
        JSON.writeValue(dir.resolve("config.json").toFile(), c);
        assertThatThrownBy(() -> load(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("missing tensor 'model.layers.0.self_attn.q_proj.bias'");
    }

    @Test
    void rejectsTruncatedSafetensors() throws IOException {
        Path dir = copy("llama-gqa");
        Path file = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertThatThrownBy(() -> load(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("model.safetensors").hasMessageContaining("data_offsets");
    }

    @Test
    void rejectsGarbageSafetensorsHeader() throws IOException {
        Path dir = copy("llama-gqa");
        Files.write(dir.resolve("model.safetensors"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
        assertThatThrownBy(() -> load(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("not a safetensors file");
    }

    @Test
    void saysWhatToDoWithPickleOnlyCheckpoints() throws IOException {
        Path dir = copy("llama-gqa");
        Files.delete(dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("pytorch_model.bin"), "pickle");
        assertThatThrownBy(() -> load(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("convert them to safetensors");
    }

    @Test
    void readsEosIdsFromBothConfigFiles() throws IOException {
        Path dir = copy("llama-gqa");
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [2, 7]}");
        assertThat(new ModelConfigReader(JSON).read(dir).eosTokenIds()).containsExactly(2, 7);
    }

    private DecoderModel load(Path dir) {
        return DecoderModel.load(dir, runtime.manager(), JSON);
    }

    private float[] logits(Path dir) {
        try (DecoderModel m = load(dir); KvCache cache = m.newCache(1, IDS.length)) {
            return m.prefill(cache, new int[][] {IDS}, LoraBatch.none(), true).data();
        }
    }

    private Path copy(String model) throws IOException {
        Path dir = tmp.resolve(model);
        Files.createDirectories(dir);
        for (String f : List.of("config.json", "generation_config.json", "model.safetensors")) {
            Files.copy(Fixtures.dir(model).resolve(f), dir.resolve(f));
        }
        return dir;
    }

    private static ObjectNode config(Path dir) throws IOException {
        return (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
    }

    private static double relative(float[] a, float[] b) {
        double d = 0;
        double n = 0;
        for (int i = 0; i < a.length; i++) {
            d += (a[i] - b[i]) * (double) (a[i] - b[i]);
            n += b[i] * (double) b[i];
        }
        return Math.sqrt(d / n);
    }
}
