package dev.livetune.llm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.llm.engine.Precision;
import dev.livetune.llm.lora.LoraAdapter;
import dev.livetune.llm.lora.LoraBatch;
import dev.livetune.llm.lora.LoraDelta;
import dev.livetune.llm.safetensors.SafetensorsCheckpoint;
import java.nio.file.Path;

/**
 * A Llama / Qwen2 / Qwen3 decoder on PyTorch through DJL, in float32 or float16 ({@link Precision}).
 *
 * <p>One forward pass takes a batch of new tokens, appends their keys and values to a
 * {@link KvCache} and returns logits. Each row may carry its own LoRA adapter ({@link LoraBatch}),
 * applied unmerged: {@code y = xW^T + s·(xA^T)B^T}. Every intermediate tensor of a pass lives in an
 * {@link NDScope} closed when the pass returns, so a long generation holds only the weights, the
 * cache and the adapters.
 *
 * <p>In float16, weights, activations and the KV cache are half precision; RMSNorm and the LoRA
 * updates are computed in float32 and the logits are returned as float32.
 */
public final class DecoderModel implements AutoCloseable {

    /** Additive mask for hidden slots: finite, so a row that sees nothing stays finite (no NaN). */
    private static final float MASKED = -1e30f;
    /** The same in float16, whose most negative finite value is -65504. */
    private static final float MASKED_HALF = -65504f;

    private final ModelConfig config;
    private final NDManager manager;
    private final DataType dataType;
    private final ModelWeights weights;
    private final Rope rope;
    private final int qOut;
    private final int kvOut;
    /** {@code hidden·eps}, {@code headDim·eps}, {@code -1/2} and {@code 1/sqrt(headDim)} as float32 scalars (see rmsNorm). */
    private final NDArray hiddenEps;
    private final NDArray headEps;
    private final NDArray minusHalf;
    private final NDArray attentionScale;
    private final NDArray rotateHalf;
    private final long[] qkvSplit;
    private final long[] qkSplit;
    private final long[] gateUpSplit;

    private DecoderModel(ModelConfig config, NDManager manager, DataType dataType, ModelWeights weights) {
        this.config = config;
        this.manager = manager;
        this.dataType = dataType;
        this.weights = weights;
        this.rope = new Rope(config.rope(), config.headDim());
        this.qOut = config.numHeads() * config.headDim();
        this.kvOut = config.numKvHeads() * config.headDim();
        this.hiddenEps = manager.create((float) (config.rmsNormEps() * config.hiddenSize()));
        this.headEps = manager.create((float) (config.rmsNormEps() * config.headDim()));
        this.minusHalf = manager.create(-0.5f);
        this.attentionScale = typed(manager.create((float) (1.0 / Math.sqrt(config.headDim()))));
        int d = config.headDim();
        this.rotateHalf = typed(manager.create(rotateHalfMatrix(d), new Shape(d, d)));
        int heads = config.numHeads();
        int kv = config.numKvHeads();
        // Split points reused by every pass: q+k | v heads, q | k heads, gate | up columns.
        this.qkvSplit = new long[] {heads + kv};
        this.qkSplit = new long[] {heads};
        this.gateUpSplit = new long[] {config.intermediateSize()};
    }

    /**
     * Loads a Hugging Face model directory ({@code config.json}, {@code generation_config.json},
     * {@code model.safetensors} or a sharded index).
     *
     * @param dir    the model directory
     * @param parent manager whose child owns the weights
     * @throws ModelFormatException naming the file when something is missing, malformed or unsupported
     */
    public static DecoderModel load(Path dir, NDManager parent, ObjectMapper json) {
        return load(dir, parent, json, Precision.FLOAT32);
    }

    /**
     * @param precision the number format of weights, activations and cache
     * @see #load(Path, NDManager, ObjectMapper)
     */
    public static DecoderModel load(Path dir, NDManager parent, ObjectMapper json, Precision precision) {
        ModelConfig config = new ModelConfigReader(json).read(dir);
        SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.openDirectory(dir, "model", json);
        NDManager manager = parent.newSubManager();
        try {
            WeightLoader loader = new WeightLoader(ckpt, config, manager, precision.dataType());
            NDArray embed = loader.embedTokens();
            NDArray head = loader.lmHead(embed);
            NDArray norm = loader.finalNorm();
            LayerWeights[] layers = new LayerWeights[config.numLayers()];
            for (int i = 0; i < layers.length; i++) {
                layers[i] = loader.layer(i);
            }
            return new DecoderModel(config, manager, precision.dataType(), new ModelWeights(embed, head, norm, layers));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** @return the model's shape */
    public ModelConfig config() {
        return config;
    }

    /** @return the type of weights, activations and cache ({@code FLOAT32} or {@code FLOAT16}) */
    public DataType dataType() {
        return dataType;
    }

    /** @return the loaded weights, in the runtime's layout */
    public ModelWeights weights() {
        return weights;
    }

    /** @return the manager that owns the weights; adapters and caches hang below it */
    public NDManager manager() {
        return manager;
    }

    /**
     * @param batch    rows
     * @param capacity initial slots per row (grows on demand)
     * @return an empty cache for this model
     */
    public KvCache newCache(int batch, int capacity) {
        return new KvCache(manager, config.numLayers(), batch, config.numKvHeads(), config.headDim(), capacity, dataType);
    }

    /**
     * The first pass over prompts of different lengths: rows are left-padded to the longest, and the
     * padding is masked out, so every row computes exactly what it would compute alone.
     *
     * @param cache        an empty cache with one row per prompt
     * @param prompts      token ids per row, each non-empty
     * @param lora         adapters per row
     * @param allPositions logits for every position (else only the last of each row)
     * @return logits {@code [batch, longest or 1, vocab]}; with all positions, row {@code b}'s
     *         token {@code i} is at position {@code longest - len(b) + i}
     */
    public Logits prefill(KvCache cache, int[][] prompts, LoraBatch lora, boolean allPositions) {
        int longest = 0;
        for (int[] p : prompts) {
            if (p.length == 0) {
                throw new IllegalArgumentException("empty prompt");
            }
            longest = Math.max(longest, p.length);
        }
        int[] starts = new int[prompts.length];
        int[][] padded = new int[prompts.length][longest];
        for (int b = 0; b < prompts.length; b++) {
            starts[b] = longest - prompts[b].length;
            System.arraycopy(prompts[b], 0, padded[b], starts[b], prompts[b].length);
        }
        cache.setStarts(starts);
        return forward(cache, padded, lora, allPositions);
    }

    /**
     * Runs {@code n} new tokens of every row through the model and appends them to the cache.
     *
     * @param cache        the batch's cache, one row per entry of {@code tokens}
     * @param tokens       {@code [batch][n]} new token ids
     * @param lora         adapters per row
     * @param allPositions logits for every new position (else only the last)
     * @return logits {@code [batch, n or 1, vocab]}
     */
    public Logits forward(KvCache cache, int[][] tokens, LoraBatch lora, boolean allPositions) {
        int batch = tokens.length;
        int n = tokens[0].length;
        if (batch != cache.batchSize()) {
            throw new IllegalArgumentException("batch " + batch + " != cache rows " + cache.batchSize());
        }
        try (NDScope scope = new NDScope(); NDManager step = manager.newSubManager()) {
            cache.reserve(n);
            int past = cache.length();
            long[] ids = new long[batch * n];
            int[][] positions = new int[batch][n];
            for (int b = 0; b < batch; b++) {
                if (tokens[b].length != n) {
                    throw new IllegalArgumentException("rows must add the same number of tokens");
                }
                for (int t = 0; t < n; t++) {
                    int id = tokens[b][t];
                    if (id < 0 || id >= config.vocabSize()) {
                        throw new IllegalArgumentException("token id " + id + " outside vocabulary [0, "
                                + config.vocabSize() + ")");
                    }
                    ids[b * n + t] = id;
                    positions[b][t] = Math.max(0, past + t - cache.start(b));
                }
            }
            int d = config.headDim();
            float[][] cs = rope.tables(positions);
            NDArray cos = typed(step.create(cs[0], new Shape(batch, n, 1, d)));
            NDArray sin = typed(step.create(cs[1], new Shape(batch, n, 1, d)));
            // A single new token per row with no left padding sees every slot: no mask needed.
            boolean padded = false;
            for (int b = 0; b < batch; b++) {
                padded |= cache.start(b) > 0;
            }
            NDArray mask = n == 1 && !padded ? null
                    : typed(step.create(mask(cache, past, n, masked()), new Shape(batch, 1, 1, n, past + n)));
            NDArray h = layers(weights, step.create(ids, new Shape(batch, n)), cache, cos, sin, mask, lora);
            cache.commit(n);
            if (!allPositions && n > 1) {
                h = h.get(NDIndex.sliceAxis(1, n - 1, n));
            }
            NDArray logits = float32(Linear.linear(rmsNorm(h, weights.finalNorm(), hiddenEps), weights.lmHead(), null)
                    .singletonOrThrow());
            return new Logits(logits.toFloatArray(), batch, allPositions ? n : 1, config.vocabSize());
        }
    }

    /** Embeds {@code ids [batch, n]} and runs every decoder layer; {@code cache} may be null. */
    private NDArray layers(ModelWeights w, NDArray ids, KvCache cache, NDArray cos, NDArray sin, NDArray mask,
            LoraDelta lora) {
        // torch's embedding op, not advanced indexing: its CPU backward is deterministic, whereas
        // index_put_ with accumulate adds floats atomically from several threads.
        NDArray h = Embedding.embedding(ids, w.embed(), SparseFormat.DENSE).singletonOrThrow();
        LayerWeights[] layers = w.layers();
        for (int l = 0; l < layers.length; l++) {
            h = attention(l, layers[l], h, cache, cos, sin, mask, lora);
            h = mlp(l, layers[l], h, lora);
        }
        return h;
    }

    /**
     * A whole-sequence pass for training: no cache, nothing written in place, so autograd can follow
     * every operation back to whichever of {@code w} and {@code lora} require gradients. Sequences are
     * right-padded; each may hold several packed examples ({@code segments}), which never see each
     * other. The result and everything it depends on hang on the current {@link NDScope} or on
     * {@code w}'s and {@code ids}' managers: call it inside a scope or a step manager.
     *
     * @param w         the weights to use ({@link #weights()}, or trainable ones)
     * @param ids       {@code [batch, n]} int64 token ids
     * @param positions {@code [batch][n]} RoPE positions (restarting at 0 for each packed example)
     * @param segments  {@code [batch][n]} example number per position: a position attends to earlier
     *                  positions of the same segment only
     * @param rows      int64 indices {@code b·n + t} of the positions whose logits are wanted
     * @param lora      the LoRA update ({@link LoraDelta#NONE} for none)
     * @return logits {@code [rows, vocab]}
     */
    public NDArray trainingLogits(ModelWeights w, NDArray ids, int[][] positions, int[][] segments, NDArray rows,
            LoraDelta lora) {
        NDManager m = ids.getManager();
        int batch = positions.length;
        int n = positions[0].length;
        int d = config.headDim();
        float[][] cs = rope.tables(positions);
        NDArray cos = typed(m.create(cs[0], new Shape(batch, n, 1, d)));
        NDArray sin = typed(m.create(cs[1], new Shape(batch, n, 1, d)));
        float masked = masked();
        float[] mask = new float[batch * n * n];
        for (int b = 0; b < batch; b++) {
            for (int q = 0; q < n; q++) {
                for (int t = 0; t < n; t++) {
                    mask[(b * n + q) * n + t] = t <= q && segments[b][t] == segments[b][q] ? 0f : masked;
                }
            }
        }
        NDArray h = layers(w, ids, null, cos, sin, typed(m.create(mask, new Shape(batch, 1, 1, n, n))), lora);
        NDArray picked = h.reshape(-1, config.hiddenSize()).get(rows);
        return float32(Linear.linear(rmsNorm(picked, w.finalNorm(), hiddenEps), w.lmHead(), null).singletonOrThrow());
    }

    /** {@code [batch, 1, 1, n, past + n]}: causal, and blind to each row's left padding. */
    private static float[] mask(KvCache cache, int past, int n, float masked) {
        int total = past + n;
        float[] m = new float[cache.batchSize() * n * total];
        for (int b = 0; b < cache.batchSize(); b++) {
            int start = cache.start(b);
            for (int i = 0; i < n; i++) {
                int query = past + i;
                int base = (b * n + i) * total;
                for (int t = 0; t < total; t++) {
                    boolean visible = t <= query && (t >= start || t == query);
                    m[base + t] = visible ? 0f : masked;
                }
            }
        }
        return m;
    }

    private NDArray attention(int l, LayerWeights w, NDArray h, KvCache cache, NDArray cos, NDArray sin,
            NDArray mask, LoraDelta lora) {
        long batch = h.getShape().get(0);
        int n = Math.toIntExact(h.getShape().get(1));
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int d = config.headDim();
        NDArray x = rmsNorm(h, w.inputNorm(), hiddenEps);
        NDArray qkv = plus(Linear.linear(x, w.qkv(), w.qkvBias()).singletonOrThrow(),
                delta(lora, x, l, ProjectionGroup.QKV)).reshape(batch, n, heads + 2L * kvHeads, d);
        // Queries and keys get the same per-head treatment (norm, RoPE): do it once for both.
        NDList qkAndV = qkv.split(qkvSplit, 2);
        NDArray qk = qkAndV.get(0);
        if (w.qkNorm() != null) {
            qk = rmsNorm(qk, w.qkNorm(), headEps);
        }
        qk = qk.mul(cos).add(qk.matMul(rotateHalf).mul(sin)).transpose(0, 2, 1, 3);
        NDArray v = qkAndV.get(1).transpose(0, 2, 1, 3);
        NDList qAndK = qk.split(qkSplit, 1);
        NDArray[] kv = cache == null ? new NDArray[] {qAndK.get(1), v} : cache.append(l, qAndK.get(1), v, n);
        long total = kv[0].getShape().get(2);
        int group = heads / kvHeads;
        // Query heads h*group .. h*group+group-1 share kv head h: fold them into the query axis.
        NDArray scores = qAndK.get(0).mul(attentionScale)
                .reshape(batch, kvHeads, (long) group * n, d)
                .matMul(kv[0].transpose(0, 1, 3, 2));
        if (mask != null) {
            scores = scores.reshape(batch, kvHeads, group, n, total).add(mask)
                    .reshape(batch, kvHeads, (long) group * n, total);
        }
        NDArray context = scores.softmax(-1)
                .matMul(kv[1])
                .reshape(batch, heads, n, d)
                .transpose(0, 2, 1, 3)
                .reshape(batch, n, (long) heads * d);
        NDArray out = plus(Linear.linear(context, w.o(), w.oBias()).singletonOrThrow(),
                delta(lora, context, l, ProjectionGroup.O));
        return h.add(out);
    }

    private NDArray mlp(int l, LayerWeights w, NDArray h, LoraDelta lora) {
        NDArray x = rmsNorm(h, w.postNorm(), hiddenEps);
        NDArray gateUp = plus(Linear.linear(x, w.gateUp(), w.gateUpBias()).singletonOrThrow(),
                delta(lora, x, l, ProjectionGroup.GATE_UP));
        NDList halves = gateUp.split(gateUpSplit, 2);
        NDArray gate = halves.get(0);
        NDArray act = gate.mul(Activation.sigmoid(gate)).mul(halves.get(1));
        NDArray down = plus(Linear.linear(act, w.down(), w.downBias()).singletonOrThrow(),
                delta(lora, act, l, ProjectionGroup.DOWN));
        return h.add(down);
    }

    /**
     * RMSNorm over the last axis, as Hugging Face's {@code LlamaRMSNorm}:
     * {@code x / sqrt(mean(x²) + eps) · w = x · (sum(x²) + n·eps)^-½ · (√n·w)}. The weights are stored
     * pre-multiplied by √n (see {@link WeightLoader}) so that a sum replaces the mean; the scalars are
     * float32 tensors made once, so no pass converts a Java number. Always computed in float32 (a
     * float16 sum of squares overflows at a few hundred), and returned in the model's type.
     */
    private NDArray rmsNorm(NDArray x, NDArray scaledWeight, NDArray nEps) {
        NDArray x32 = float32(x);
        NDArray sumSquares = x32.square().sum(new int[] {-1}, true);
        return typed(x32.mul(sumSquares.add(nEps).pow(minusHalf)).mul(scaledWeight));
    }

    /**
     * The LoRA update of one group. Adapters are float32 (and trained in float32); in a float16
     * model the update is computed in float32 and added in float16.
     */
    private NDArray delta(LoraDelta lora, NDArray x, int layer, ProjectionGroup group) {
        if (dataType == DataType.FLOAT32) {
            return lora.delta(x, layer, group);
        }
        if (lora == LoraDelta.NONE || lora instanceof LoraBatch b && b.isEmpty()) {
            return null;
        }
        NDArray d = lora.delta(float32(x), layer, group);
        return d == null ? null : typed(d);
    }

    /** @return {@code a} in the model's type (itself when it already is) */
    private NDArray typed(NDArray a) {
        return a.getDataType() == dataType ? a : a.toType(dataType, false);
    }

    private static NDArray float32(NDArray a) {
        return a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false);
    }

    private float masked() {
        return dataType == DataType.FLOAT16 ? MASKED_HALF : MASKED;
    }

    /**
     * {@code R} with {@code x·R = rotate_half(x) = cat(-x[half:], x[:half])}: one exact matmul
     * (each output is one ±1 product) instead of two slices, a negation and a concat.
     */
    private static float[] rotateHalfMatrix(int d) {
        int half = d / 2;
        float[] r = new float[d * d];
        for (int j = 0; j < half; j++) {
            r[(j + half) * d + j] = -1f;
            r[j * d + j + half] = 1f;
        }
        return r;
    }

    private static NDArray plus(NDArray y, NDArray delta) {
        return delta == null ? y : y.add(delta);
    }

    /**
     * Folds an adapter into the base weights ({@code W += s·BA}), for a deployment that serves one
     * adapter only. Afterwards the base model <em>is</em> the adapted model: do not also apply the
     * adapter per request.
     */
    public void merge(LoraAdapter adapter) {
        try (NDScope scope = new NDScope()) {
            LayerWeights[] layers = weights.layers();
            for (int l = 0; l < layers.length; l++) {
                LayerWeights w = layers[l];
                for (ProjectionGroup g : ProjectionGroup.values()) {
                    NDArray[] f = adapter.factors(l, g);
                    if (f == null) {
                        continue;
                    }
                    NDArray fused = switch (g) {
                        case QKV -> w.qkv();
                        case O -> w.o();
                        case GATE_UP -> w.gateUp();
                        case DOWN -> w.down();
                    };
                    // (xA)B = x(AB): the weight [out, in] gains (AB)^T.
                    fused.addi(typed(f[0].matMul(f[1]).transpose()));
                }
            }
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
