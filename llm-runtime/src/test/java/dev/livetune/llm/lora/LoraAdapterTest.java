package dev.livetune.llm.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.llm.Fixtures;
import dev.livetune.llm.TestRuntime;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.model.DecoderModel;
import dev.livetune.llm.model.KvCache;
import dev.livetune.llm.model.ModelFormatException;
import dev.livetune.llm.safetensors.SafetensorsCheckpoint;
import dev.livetune.llm.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PEFT adapter loading: what is accepted, what is refused and why, and merging. */
class LoraAdapterTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TorchRuntime runtime = TestRuntime.shared();

    @TempDir
    Path tmp;

    @Test
    void acceptsTargetModulesAsRegexAndAppliesRsLoraScale() throws IOException {
        Path plain = copyAdapter("qwen3-qknorm", c -> { });
        Path regex = copyAdapter("qwen3-qknorm",
                c -> c.put("target_modules", ".*\\.(q_proj|v_proj|down_proj)"));
        Path rs = copyAdapter("qwen3-qknorm", c -> c.put("use_rslora", true));
        // r = 4, alpha = 8: rsLoRA scales by 8/sqrt(4) = 4, which plain LoRA does with alpha 16.
        Path sameScale = copyAdapter("qwen3-qknorm", c -> c.put("lora_alpha", 16));
        try (DecoderModel m = model("qwen3-qknorm")) {
            float[] a = logits(m, plain);
            assertThat(logits(m, regex)).containsExactly(a);
            float[] rsLogits = logits(m, rs);
            assertThat(rsLogits).containsExactly(logits(m, sameScale));
            assertThat(rsLogits).isNotEqualTo(a);
        }
    }

    @Test
    void refusesFeaturesItDoesNotCompute() throws IOException {
        for (String[] feature : new String[][] {
                {"rank_pattern", "{\"q_proj\": 8}"}, {"alpha_pattern", "{\"q_proj\": 8}"},
                {"use_dora", "true"}, {"modules_to_save", "[\"lm_head\"]"}, {"bias", "\"all\""},
                {"peft_type", "\"IA3\""}}) {
            Path dir = copyAdapter("llama-gqa", c -> c.set(feature[0], parse(feature[1])));
            try (DecoderModel m = model("llama-gqa")) {
                assertThatThrownBy(() -> load(m, dir)).as(feature[0]).isInstanceOf(ModelFormatException.class)
                        .hasMessageContaining("adapter_config.json").hasMessageContaining("not supported");
            }
        }
    }

    @Test
    void refusesAnAdapterMadeForAnotherBaseModel() throws IOException {
        // qwen2's q_proj factors are [4, 64] / [64, 4]; llama3-ropescaled has r=8 in its config.
        Path dir = copyAdapter("llama3-ropescaled-tied", c -> c.put("r", 4));
        try (DecoderModel m = model("llama3-ropescaled-tied")) {
            assertThatThrownBy(() -> load(m, dir)).isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining("adapter_model.safetensors").hasMessageContaining("has shape [8, 64]")
                    .hasMessageContaining("r=4");
        }
        try (DecoderModel m = model("qwen3-qknorm")) {
            // llama-gqa's adapter targets gate/up/k/o, which this adapter config of qwen3 shape cannot fit.
            assertThatThrownBy(() -> load(m, Fixtures.adapter("llama-gqa"))).isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining("has shape");
        }
    }

    @Test
    void refusesTensorsForLayersTheModelDoesNotHave() throws IOException {
        Path dir = copyAdapter("llama-gqa", c -> { });
        rewriteTensors(dir, tensors -> {
            Map<String, NDArray> moved = new LinkedHashMap<>();
            tensors.forEach((k, v) -> moved.put(k.replace("layers.1.", "layers.7."), v));
            return moved;
        });
        try (DecoderModel m = model("llama-gqa")) {
            assertThatThrownBy(() -> load(m, dir)).isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining("targets layer 7 but the base model has 2 layers");
        }
    }

    @Test
    void refusesTargetsOutsideTargetModulesAndEmbeddingAdapters() throws IOException {
        Path narrowed = copyAdapter("llama-gqa", c -> c.putArray("target_modules").add("q_proj"));
        Path embed = copyAdapter("llama-gqa", c -> { });
        rewriteTensors(embed, tensors -> {
            Map<String, NDArray> out = new LinkedHashMap<>(tensors);
            out.put("base_model.model.lm_head.lora_A.weight", tensors.values().iterator().next());
            return out;
        });
        try (DecoderModel m = model("llama-gqa")) {
            assertThatThrownBy(() -> load(m, narrowed)).isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining("which target_modules does not select");
            assertThatThrownBy(() -> load(m, embed)).isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining("lm_head").hasMessageContaining("not supported");
        }
    }

    @Test
    void refusesHalfAPair() throws IOException {
        Path dir = copyAdapter("qwen2-bias-tied", c -> { });
        rewriteTensors(dir, tensors -> {
            Map<String, NDArray> out = new LinkedHashMap<>(tensors);
            out.remove("base_model.model.model.layers.1.self_attn.o_proj.lora_B.weight");
            return out;
        });
        try (DecoderModel m = model("qwen2-bias-tied")) {
            assertThatThrownBy(() -> load(m, dir)).isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining("model.layers.1.self_attn.o_proj has only one of lora_A / lora_B");
        }
    }

    @Test
    void mergedWeightsComputeWhatTheUnmergedAdapterComputes() {
        for (String model : Fixtures.MODELS) {
            try (DecoderModel m = model(model)) {
                float[] unmerged;
                try (LoraAdapter a = load(m, Fixtures.adapter(model))) {
                    unmerged = logits(m, a);
                    m.merge(a);
                }
                float[] merged = logits(m, (LoraAdapter) null);
                double diff = 0;
                double norm = 0;
                for (int i = 0; i < merged.length; i++) {
                    diff += Math.pow(merged[i] - unmerged[i], 2);
                    norm += Math.pow(unmerged[i], 2);
                }
                assertThat(Math.sqrt(diff / norm)).as(model).isLessThan(1e-5);
            }
        }
    }

    private static com.fasterxml.jackson.databind.JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private DecoderModel model(String name) {
        return DecoderModel.load(Fixtures.dir(name), runtime.manager(), JSON);
    }

    private LoraAdapter load(DecoderModel m, Path dir) {
        return LoraAdapter.load(dir, dir.getFileName().toString(), m.config(), m.manager(), JSON);
    }

    private float[] logits(DecoderModel m, Path adapterDir) {
        try (LoraAdapter a = adapterDir == null ? null : load(m, adapterDir)) {
            return logits(m, a);
        }
    }

    private float[] logits(DecoderModel m, LoraAdapter a) {
        int[] ids = Fixtures.cases("llama-gqa", false).get(1).inputIds();
        try (KvCache cache = m.newCache(1, ids.length);
                LoraBatch batch = LoraBatch.of(Arrays.asList(a), m.config(), m.manager())) {
            return m.prefill(cache, new int[][] {ids}, batch, true).data();
        }
    }

    private Path copyAdapter(String model, Consumer<ObjectNode> edit) throws IOException {
        Path dir = Files.createTempDirectory(tmp, model);
        Path src = Fixtures.adapter(model);
        Files.copy(src.resolve("adapter_model.safetensors"), dir.resolve("adapter_model.safetensors"));
        ObjectNode c = (ObjectNode) JSON.readTree(src.resolve("adapter_config.json").toFile());
        edit.accept(c);
        JSON.writeValue(dir.resolve("adapter_config.json").toFile(), c);
        return dir;
    }

    private void rewriteTensors(Path dir, java.util.function.UnaryOperator<Map<String, NDArray>> edit)
            throws IOException {
        Path file = dir.resolve("adapter_model.safetensors");
        SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.openFile(file, JSON);
        try (NDManager m = runtime.manager().newSubManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            for (String name : ckpt.names()) {
                tensors.put(name, ckpt.loadFloat32(name, m));
            }
            new SafetensorsWriter(JSON).write(file, edit.apply(tensors), Map.of());
        }
    }
}
