package dev.livetune.llm.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Reads {@code config.json} and {@code generation_config.json} of a Hugging Face model directory. */
public final class ModelConfigReader {

    /** Projection names a LoRA adapter may target. */
    public static final List<String> PROJECTIONS =
            List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    private static final Set<String> ROPE_TYPES = Set.of("default", "linear", "llama3");

    private final ObjectMapper json;

    public ModelConfigReader(ObjectMapper json) {
        this.json = json;
    }

    /**
     * @param modelDir a Hugging Face model directory
     * @return its decoder shape, with eos ids from generation_config.json merged in
     * @throws ModelFormatException naming the file when it is missing, malformed or unsupported
     */
    public ModelConfig read(Path modelDir) {
        Path file = modelDir.resolve("config.json");
        JsonNode c = readJson(file);
        ModelFamily family = family(file, c);
        int hidden = required(file, c, "hidden_size");
        int heads = required(file, c, "num_attention_heads");
        int kvHeads = c.path("num_key_value_heads").isIntegralNumber() ? c.get("num_key_value_heads").asInt() : heads;
        int headDim = c.path("head_dim").isIntegralNumber() ? c.get("head_dim").asInt() : hidden / heads;
        if (heads % kvHeads != 0) {
            throw new ModelFormatException(file, "num_attention_heads " + heads
                    + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        if (headDim % 2 != 0) {
            throw new ModelFormatException(file, "head_dim " + headDim + " must be even for rotary embeddings");
        }
        String act = c.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new ModelFormatException(file, "hidden_act '" + act + "' is not supported (only silu)");
        }
        if (c.path("use_sliding_window").asBoolean(false)) {
            throw new ModelFormatException(file, "use_sliding_window=true is not supported");
        }
        if (c.path("pretraining_tp").asInt(1) != 1) {
            throw new ModelFormatException(file, "pretraining_tp other than 1 is not supported");
        }
        if (c.has("partial_rotary_factor") && c.get("partial_rotary_factor").asDouble() != 1.0) {
            throw new ModelFormatException(file, "partial_rotary_factor other than 1.0 is not supported");
        }
        List<Integer> eos = new ArrayList<>(ids(c.path("eos_token_id")));
        Path generation = modelDir.resolve("generation_config.json");
        if (Files.exists(generation)) {
            for (int id : ids(readJson(generation).path("eos_token_id"))) {
                if (!eos.contains(id)) {
                    eos.add(id);
                }
            }
        }
        return new ModelConfig(
                family,
                required(file, c, "vocab_size"),
                hidden,
                required(file, c, "intermediate_size"),
                required(file, c, "num_hidden_layers"),
                heads,
                kvHeads,
                headDim,
                c.path("rms_norm_eps").asDouble(1e-6),
                rope(file, c),
                c.path("max_position_embeddings").asInt(4096),
                c.path("tie_word_embeddings").asBoolean(false),
                c.path("attention_bias").asBoolean(false),
                c.path("mlp_bias").asBoolean(false),
                c.path("bos_token_id").isIntegralNumber() ? c.get("bos_token_id").asInt() : -1,
                eos);
    }

    private static ModelFamily family(Path file, JsonNode c) {
        JsonNode archs = c.path("architectures");
        if (archs.isArray() && !archs.isEmpty()) {
            String arch = archs.get(0).asText();
            return ModelFamily.ofArchitecture(arch).orElseThrow(() -> new ModelFormatException(file,
                    "architecture '" + arch + "' is not supported (supported: LlamaForCausalLM, "
                            + "Qwen2ForCausalLM, Qwen3ForCausalLM)"));
        }
        String type = c.path("model_type").asText("");
        return ModelFamily.ofModelType(type).orElseThrow(() -> new ModelFormatException(file,
                "neither 'architectures' nor a supported 'model_type' (got '" + type + "')"));
    }

    /** Both config generations: 5.x {@code rope_parameters}, 4.x {@code rope_theta} + {@code rope_scaling}. */
    private static RopeConfig rope(Path file, JsonNode c) {
        JsonNode params = c.path("rope_parameters");
        double theta;
        JsonNode scaling;
        if (params.isObject()) {
            if (!params.has("rope_theta") && params.has("full_attention")) {
                throw new ModelFormatException(file, "per-layer-type rope_parameters are not supported");
            }
            theta = params.path("rope_theta").asDouble(c.path("rope_theta").asDouble(10000.0));
            scaling = params;
        } else {
            theta = c.path("rope_theta").asDouble(10000.0);
            scaling = c.path("rope_scaling");
        }
        if (!scaling.isObject()) {
            return RopeConfig.plain(theta);
        }
        String type = scaling.path("rope_type").asText(scaling.path("type").asText("default"));
        if (!ROPE_TYPES.contains(type)) {
            throw new ModelFormatException(file, "rope type '" + type + "' is not supported (supported: "
                    + String.join(", ", ROPE_TYPES) + ")");
        }
        if (type.equals("default")) {
            return RopeConfig.plain(theta);
        }
        double factor = scaling.path("factor").asDouble(Double.NaN);
        if (Double.isNaN(factor) || factor <= 0) {
            throw new ModelFormatException(file, "rope scaling '" + type + "' needs a positive 'factor'");
        }
        if (type.equals("linear")) {
            return new RopeConfig(theta, type, factor, 1.0, 1.0, 0);
        }
        int original = scaling.path("original_max_position_embeddings").asInt(0);
        double low = scaling.path("low_freq_factor").asDouble(Double.NaN);
        double high = scaling.path("high_freq_factor").asDouble(Double.NaN);
        if (original <= 0 || Double.isNaN(low) || Double.isNaN(high) || high <= low) {
            throw new ModelFormatException(file, "llama3 rope scaling needs original_max_position_embeddings, "
                    + "low_freq_factor and high_freq_factor (high > low)");
        }
        return new RopeConfig(theta, type, factor, low, high, original);
    }

    private JsonNode readJson(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file, "file not found");
        }
        try {
            JsonNode node = json.readTree(file.toFile());
            if (node == null || !node.isObject()) {
                throw new ModelFormatException(file, "expected a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw new ModelFormatException(file, "malformed JSON: " + e.getMessage(), e);
        }
    }

    private static int required(Path file, JsonNode c, String key) {
        JsonNode v = c.get(key);
        if (v == null || !v.isIntegralNumber() || v.asInt() <= 0) {
            throw new ModelFormatException(file, "'" + key + "' must be a positive integer");
        }
        return v.asInt();
    }

    private static List<Integer> ids(JsonNode node) {
        List<Integer> out = new ArrayList<>();
        if (node.isIntegralNumber()) {
            out.add(node.asInt());
        } else if (node.isArray()) {
            node.forEach(n -> out.add(n.asInt()));
        }
        return out;
    }
}
