package dev.livetune.llm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.livetune.llm.safetensors.SafetensorsCheckpoint;
import dev.livetune.llm.safetensors.TensorInfo;
import java.util.Arrays;

/**
 * Reads a checkpoint's tensors into {@link LayerWeights}, checking every shape against the config.
 * Projection and embedding weights are stored in the model's {@code dataType}; RMSNorm weights stay
 * float32, because normalisation is computed in float32 (see DecoderModel#rmsNorm).
 */
final class WeightLoader {

    private final SafetensorsCheckpoint ckpt;
    private final ModelConfig config;
    private final NDManager manager;
    private final DataType dataType;

    WeightLoader(SafetensorsCheckpoint ckpt, ModelConfig config, NDManager manager, DataType dataType) {
        this.ckpt = ckpt;
        this.config = config;
        this.manager = manager;
        this.dataType = dataType;
    }

    NDArray embedTokens() {
        return stored(required("model.embed_tokens.weight", config.vocabSize(), config.hiddenSize()));
    }

    NDArray lmHead(NDArray embed) {
        if (config.tieWordEmbeddings()) {
            return embed;
        }
        return stored(required("lm_head.weight", config.vocabSize(), config.hiddenSize()));
    }

    /** @return {@code f32} in the model's data type (the same array when that is float32) */
    private NDArray stored(NDArray f32) {
        if (f32 == null || dataType == DataType.FLOAT32) {
            return f32;
        }
        NDArray converted = f32.toType(dataType, false);
        converted.attach(manager);
        f32.close();
        return converted;
    }

    NDArray finalNorm() {
        return norm(required("model.norm.weight", config.hiddenSize()));
    }

    /** RMSNorm weights are kept multiplied by √n, where n is the normalised width (see DecoderModel). */
    private NDArray norm(NDArray weight) {
        long n = weight.getShape().get(weight.getShape().dimension() - 1);
        NDArray scaled = weight.mul((float) Math.sqrt(n));
        scaled.attach(manager);
        weight.close();
        return scaled;
    }

    LayerWeights layer(int i) {
        String p = "model.layers." + i + ".";
        int h = config.hiddenSize();
        int d = config.headDim();
        int q = config.numHeads() * d;
        int kv = config.numKvHeads() * d;
        int inter = config.intermediateSize();
        boolean qkvBias = config.qkvBias();
        boolean mlpBias = config.mlpBias();
        return new LayerWeights(
                norm(required(p + "input_layernorm.weight", h)),
                stored(fuse(required(p + "self_attn.q_proj.weight", q, h),
                        required(p + "self_attn.k_proj.weight", kv, h),
                        required(p + "self_attn.v_proj.weight", kv, h))),
                qkvBias ? stored(fuse(required(p + "self_attn.q_proj.bias", q),
                        required(p + "self_attn.k_proj.bias", kv),
                        required(p + "self_attn.v_proj.bias", kv))) : null,
                config.family().qkNorm() ? norm(fuse(
                        required(p + "self_attn.q_norm.weight", d).reshape(1, d).repeat(0, config.numHeads()),
                        required(p + "self_attn.k_norm.weight", d).reshape(1, d).repeat(0, config.numKvHeads())))
                        : null,
                stored(required(p + "self_attn.o_proj.weight", h, q)),
                config.attentionBias() ? stored(required(p + "self_attn.o_proj.bias", h)) : null,
                norm(required(p + "post_attention_layernorm.weight", h)),
                stored(fuse(required(p + "mlp.gate_proj.weight", inter, h), required(p + "mlp.up_proj.weight", inter, h))),
                mlpBias ? stored(fuse(required(p + "mlp.gate_proj.bias", inter), required(p + "mlp.up_proj.bias", inter)))
                        : null,
                stored(required(p + "mlp.down_proj.weight", h, inter)),
                mlpBias ? stored(required(p + "mlp.down_proj.bias", h)) : null);
    }

    private NDArray fuse(NDArray... parts) {
        NDArray fused = NDArrays.concat(new NDList(parts), 0);
        fused.attach(manager);
        for (NDArray part : parts) {
            part.close();
        }
        return fused;
    }

    private NDArray required(String name, long... shape) {
        TensorInfo info = ckpt.info(name);
        if (info == null) {
            throw new ModelFormatException(anyFile(), "missing tensor '" + name + "' required by "
                    + config.family().architecture() + " with this config.json");
        }
        if (!Arrays.equals(info.shape(), shape)) {
            throw new ModelFormatException(info.file(), "tensor '" + name + "' has shape " + info.shapeText()
                    + " but config.json implies " + Arrays.toString(shape));
        }
        return ckpt.loadFloat32(name, manager);
    }

    private java.nio.file.Path anyFile() {
        return ckpt.names().stream().findFirst().map(n -> ckpt.info(n).file())
                .orElse(java.nio.file.Path.of("model.safetensors"));
    }
}
