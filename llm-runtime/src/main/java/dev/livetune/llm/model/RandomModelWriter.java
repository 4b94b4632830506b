package dev.livetune.llm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.llm.lora.LoraTarget;
import dev.livetune.llm.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes models and LoRA adapters with random weights from a fixed seed, in Hugging Face / PEFT
 * format, for tests and benchmarks. Weights are drawn from {@code N(0, 0.02²)} as transformers'
 * {@code initializer_range} does; norms start at one. The same seed gives the same files.
 */
public final class RandomModelWriter {

    private static final double STD = 0.02;

    private final ObjectMapper json;
    private final NDManager manager;

    public RandomModelWriter(ObjectMapper json, NDManager manager) {
        this.json = json;
        this.manager = manager;
    }

    /**
     * Writes {@code config.json}, {@code generation_config.json} and {@code model.safetensors}.
     *
     * @param dir    target directory (created)
     * @param config the shape; {@code eosTokenIds} and {@code bosTokenId} go to the config files
     * @param seed   random seed
     */
    public void writeModel(Path dir, ModelConfig config, long seed) throws IOException {
        Files.createDirectories(dir);
        SplittableRandom random = new SplittableRandom(seed);
        int h = config.hiddenSize();
        int d = config.headDim();
        int q = config.numHeads() * d;
        int kv = config.numKvHeads() * d;
        int inter = config.intermediateSize();
        try (NDManager scratch = manager.newSubManager()) {
            Map<String, NDArray> t = new LinkedHashMap<>();
            t.put("model.embed_tokens.weight", normal(scratch, random, config.vocabSize(), h));
            for (int l = 0; l < config.numLayers(); l++) {
                String p = "model.layers." + l + ".";
                t.put(p + "input_layernorm.weight", scratch.ones(new Shape(h)));
                t.put(p + "post_attention_layernorm.weight", scratch.ones(new Shape(h)));
                t.put(p + "self_attn.q_proj.weight", normal(scratch, random, q, h));
                t.put(p + "self_attn.k_proj.weight", normal(scratch, random, kv, h));
                t.put(p + "self_attn.v_proj.weight", normal(scratch, random, kv, h));
                t.put(p + "self_attn.o_proj.weight", normal(scratch, random, h, q));
                if (config.qkvBias()) {
                    t.put(p + "self_attn.q_proj.bias", normal(scratch, random, q));
                    t.put(p + "self_attn.k_proj.bias", normal(scratch, random, kv));
                    t.put(p + "self_attn.v_proj.bias", normal(scratch, random, kv));
                }
                if (config.family().qkNorm()) {
                    t.put(p + "self_attn.q_norm.weight", scratch.ones(new Shape(d)));
                    t.put(p + "self_attn.k_norm.weight", scratch.ones(new Shape(d)));
                }
                t.put(p + "mlp.gate_proj.weight", normal(scratch, random, inter, h));
                t.put(p + "mlp.up_proj.weight", normal(scratch, random, inter, h));
                t.put(p + "mlp.down_proj.weight", normal(scratch, random, h, inter));
            }
            t.put("model.norm.weight", scratch.ones(new Shape(h)));
            if (!config.tieWordEmbeddings()) {
                t.put("lm_head.weight", normal(scratch, random, config.vocabSize(), h));
            }
            new SafetensorsWriter(json).write(dir.resolve("model.safetensors"), t, Map.of("format", "pt"));
        }
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), configJson(config));
        ObjectNode generation = json.createObjectNode();
        if (config.bosTokenId() >= 0) {
            generation.put("bos_token_id", config.bosTokenId());
        }
        ArrayNode eos = generation.putArray("eos_token_id");
        config.eosTokenIds().forEach(eos::add);
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("generation_config.json").toFile(), generation);
    }

    private ObjectNode configJson(ModelConfig config) {
        ObjectNode c = json.createObjectNode();
        c.putArray("architectures").add(config.family().architecture());
        c.put("model_type", config.family().modelType());
        c.put("vocab_size", config.vocabSize());
        c.put("hidden_size", config.hiddenSize());
        c.put("intermediate_size", config.intermediateSize());
        c.put("num_hidden_layers", config.numLayers());
        c.put("num_attention_heads", config.numHeads());
        c.put("num_key_value_heads", config.numKvHeads());
        c.put("head_dim", config.headDim());
        c.put("hidden_act", "silu");
        c.put("rms_norm_eps", config.rmsNormEps());
        c.put("rope_theta", config.rope().theta());
        c.put("max_position_embeddings", config.maxPositionEmbeddings());
        c.put("tie_word_embeddings", config.tieWordEmbeddings());
        c.put("attention_bias", config.attentionBias());
        c.put("mlp_bias", config.mlpBias());
        c.put("torch_dtype", "float32");
        if (config.bosTokenId() >= 0) {
            c.put("bos_token_id", config.bosTokenId());
        }
        if (!config.eosTokenIds().isEmpty()) {
            c.put("eos_token_id", config.eosTokenIds().get(0));
        }
        return c;
    }

    /**
     * Writes a PEFT LoRA adapter with random A and B (B non-zero, so the adapter changes outputs).
     *
     * @param dir     target directory (created)
     * @param base    the base model's shape
     * @param rank    {@code r}
     * @param alpha   {@code lora_alpha}
     * @param modules projections to target in every layer
     * @param seed    random seed
     */
    public void writeAdapter(Path dir, ModelConfig base, int rank, double alpha, List<String> modules, long seed)
            throws IOException {
        Files.createDirectories(dir);
        SplittableRandom random = new SplittableRandom(seed);
        try (NDManager scratch = manager.newSubManager()) {
            Map<String, NDArray> t = new LinkedHashMap<>();
            for (int l = 0; l < base.numLayers(); l++) {
                for (String m : modules) {
                    String key = "base_model.model." + new LoraTarget(l, m).modulePath();
                    t.put(key + ".lora_A.weight", normal(scratch, random, rank, base.inFeatures(m)));
                    t.put(key + ".lora_B.weight", normal(scratch, random, base.outFeatures(m), rank));
                }
            }
            new SafetensorsWriter(json).write(dir.resolve("adapter_model.safetensors"), t, Map.of("format", "pt"));
        }
        ObjectNode c = json.createObjectNode();
        c.put("peft_type", "LORA");
        c.put("task_type", "CAUSAL_LM");
        c.put("r", rank);
        c.put("lora_alpha", alpha);
        c.put("lora_dropout", 0.0);
        c.put("bias", "none");
        c.put("use_rslora", false);
        ArrayNode targets = c.putArray("target_modules");
        modules.forEach(targets::add);
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("adapter_config.json").toFile(), c);
    }

    private static NDArray normal(NDManager m, SplittableRandom random, long... shape) {
        Shape s = new Shape(shape);
        float[] v = new float[Math.toIntExact(s.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * STD);
        }
        return m.create(v, s);
    }
}
