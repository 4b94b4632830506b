package dev.livetune.llm.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.llm.lora.LoraDelta;
import dev.livetune.llm.model.DecoderModel;
import dev.livetune.llm.model.LayerWeights;
import dev.livetune.llm.model.ModelConfig;
import dev.livetune.llm.model.ModelFormatException;
import dev.livetune.llm.model.ModelWeights;
import dev.livetune.llm.safetensors.SafetensorsCheckpoint;
import dev.livetune.llm.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every weight of a (small) model as a trainable tensor, under its Hugging Face name and in its
 * Hugging Face form. Each forward pass derives the runtime's layout from them (fused projections,
 * norms times √n) with ordinary differentiable operations, so gradients and AdamW act on exactly the
 * tensors Hugging Face would train, and {@link #save} writes a model directory that loads anywhere.
 */
public final class FullModelParameters implements Trainable {

    /** Files copied from the base directory next to the trained weights. */
    private static final List<String> COPIED = List.of("config.json", "generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja");

    private final ModelConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> tensors;
    /** √n per norm width, made once (see {@link #norm}). */
    private final Map<Long, NDArray> sqrtOf = new java.util.HashMap<>();

    private FullModelParameters(ModelConfig config, NDManager manager, Map<String, NDArray> tensors) {
        this.config = config;
        this.manager = manager;
        this.tensors = tensors;
        tensors.values().forEach(t -> t.setRequiresGradient(true));
    }

    /** Loads a trainable copy of every weight the model reads from its directory. */
    public static FullModelParameters load(Path dir, DecoderModel model, ObjectMapper json) {
        ModelConfig config = model.config();
        SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.openDirectory(dir, "model", json);
        NDManager manager = model.manager().newSubManager();
        try {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            for (String name : names(config)) {
                if (!ckpt.contains(name)) {
                    throw new ModelFormatException(dir, "missing tensor '" + name + "'");
                }
                tensors.put(name, ckpt.loadFloat32(name, manager));
            }
            return new FullModelParameters(config, manager, tensors);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private static List<String> names(ModelConfig c) {
        List<String> out = new ArrayList<>();
        out.add("model.embed_tokens.weight");
        if (!c.tieWordEmbeddings()) {
            out.add("lm_head.weight");
        }
        out.add("model.norm.weight");
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            out.add(p + "input_layernorm.weight");
            for (String m : List.of("q_proj", "k_proj", "v_proj")) {
                out.add(p + "self_attn." + m + ".weight");
                if (c.qkvBias()) {
                    out.add(p + "self_attn." + m + ".bias");
                }
            }
            if (c.family().qkNorm()) {
                out.add(p + "self_attn.q_norm.weight");
                out.add(p + "self_attn.k_norm.weight");
            }
            out.add(p + "self_attn.o_proj.weight");
            if (c.attentionBias()) {
                out.add(p + "self_attn.o_proj.bias");
            }
            out.add(p + "post_attention_layernorm.weight");
            for (String m : List.of("gate_proj", "up_proj", "down_proj")) {
                out.add(p + "mlp." + m + ".weight");
                if (c.mlpBias()) {
                    out.add(p + "mlp." + m + ".bias");
                }
            }
        }
        return out;
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> out = new ArrayList<>();
        // As Hugging Face's Trainer: no weight decay on biases and norm weights.
        tensors.forEach((n, t) -> out.add(new Parameter(n, t, !n.endsWith(".bias") && !n.contains("norm"))));
        return out;
    }

    @Override
    public ModelWeights weights() {
        NDArray embed = t("model.embed_tokens.weight");
        NDArray head = config.tieWordEmbeddings() ? embed : t("lm_head.weight");
        LayerWeights[] layers = new LayerWeights[config.numLayers()];
        int d = config.headDim();
        for (int l = 0; l < layers.length; l++) {
            String p = "model.layers." + l + ".";
            String a = p + "self_attn.";
            String m = p + "mlp.";
            layers[l] = new LayerWeights(
                    norm(t(p + "input_layernorm.weight")),
                    cat(t(a + "q_proj.weight"), t(a + "k_proj.weight"), t(a + "v_proj.weight")),
                    config.qkvBias() ? cat(t(a + "q_proj.bias"), t(a + "k_proj.bias"), t(a + "v_proj.bias")) : null,
                    config.family().qkNorm()
                            ? norm(cat(t(a + "q_norm.weight").reshape(1, d).repeat(0, config.numHeads()),
                                    t(a + "k_norm.weight").reshape(1, d).repeat(0, config.numKvHeads())))
                            : null,
                    t(a + "o_proj.weight"),
                    config.attentionBias() ? t(a + "o_proj.bias") : null,
                    norm(t(p + "post_attention_layernorm.weight")),
                    cat(t(m + "gate_proj.weight"), t(m + "up_proj.weight")),
                    config.mlpBias() ? cat(t(m + "gate_proj.bias"), t(m + "up_proj.bias")) : null,
                    t(m + "down_proj.weight"),
                    config.mlpBias() ? t(m + "down_proj.bias") : null);
        }
        return new ModelWeights(embed, head, norm(t("model.norm.weight")), layers);
    }

    private NDArray t(String name) {
        return tensors.get(name);
    }

    private static NDArray cat(NDArray... parts) {
        return NDArrays.concat(new NDList(parts), 0);
    }

    /**
     * The runtime keeps RMSNorm weights times √n (see DecoderModel). The factor is a tensor this
     * object owns, never a Java number: DJL would make the number a scalar tensor over a direct buffer
     * and close it when {@code mul} returns, while autograd keeps it for the backward pass, which then
     * multiplied the norm weights' gradients by whatever the freed memory held (huge or NaN at random).
     */
    private NDArray norm(NDArray w) {
        long n = w.getShape().get(w.getShape().dimension() - 1);
        return w.mul(sqrtOf.computeIfAbsent(n, k -> {
            NDArray factor = manager.create((float) Math.sqrt(k));
            ai.djl.ndarray.NDScope.unregister(factor); // lives as long as these parameters, not the step's scope
            return factor;
        }));
    }

    @Override
    public LoraDelta lora() {
        return LoraDelta.NONE;
    }

    @Override
    public void setTraining(boolean training) {
        // No dropout in these decoders.
    }

    /** Writes {@code model.safetensors} plus the base directory's config and tokenizer files. */
    @Override
    public void save(Path dir, Path baseDir) throws IOException {
        Files.createDirectories(dir);
        new SafetensorsWriter(new ObjectMapper()).write(dir.resolve("model.safetensors"), tensors,
                Map.of("format", "pt"));
        for (String f : COPIED) {
            Path src = baseDir.resolve(f);
            if (Files.isRegularFile(src)) {
                Files.copy(src, dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
