package dev.livetune.llm.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.llm.model.ModelConfig;
import dev.livetune.llm.model.ModelConfigReader;
import dev.livetune.llm.model.ModelFormatException;
import dev.livetune.llm.model.ProjectionGroup;
import dev.livetune.llm.safetensors.SafetensorsCheckpoint;
import dev.livetune.llm.safetensors.TensorInfo;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PEFT LoRA adapter loaded for one base model, kept unmerged so that a batch can mix adapters.
 * The update of a projection is {@code Δy = s·(x A^T) B^T}; the factors are stored fused per
 * {@link ProjectionGroup} (see {@link #factors(int, ProjectionGroup)}).
 *
 * <p>Owns its native memory: close it when no batch uses it any more.
 */
public final class LoraAdapter implements AutoCloseable {

    /** PEFT's saved key: {@code base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight}. */
    private static final Pattern KEY = Pattern.compile(
            "base_model\\.model\\.model\\.layers\\.(\\d+)\\.(self_attn|mlp)\\.(\\w+)\\.lora_([AB])(?:\\.[\\w-]+)?\\.weight");

    private final String name;
    private final LoraConfig config;
    private final NDManager manager;
    private final Map<LoraTarget, NDArray[]> modules;
    private final Map<GroupKey, NDArray[]> groups;

    private record GroupKey(int layer, ProjectionGroup group) {
    }

    private LoraAdapter(String name, LoraConfig config, NDManager manager, Map<LoraTarget, NDArray[]> modules,
            Map<GroupKey, NDArray[]> groups) {
        this.name = name;
        this.config = config;
        this.manager = manager;
        this.modules = Collections.unmodifiableMap(modules);
        this.groups = Collections.unmodifiableMap(groups);
    }

    /**
     * Loads a PEFT adapter directory ({@code adapter_config.json}, {@code adapter_model.safetensors})
     * and validates it against the base model.
     *
     * @param dir    the adapter directory
     * @param name   a name for logs and errors (e.g. {@code tenant/alias@v3})
     * @param base   the base model's shape
     * @param parent manager whose child will own the adapter's tensors
     * @throws ModelFormatException when a file is malformed, a feature is unsupported, or a tensor
     *                              does not fit the base model
     */
    public static LoraAdapter load(Path dir, String name, ModelConfig base, NDManager parent, ObjectMapper json) {
        LoraConfig config = LoraConfig.read(dir.resolve("adapter_config.json"), json);
        SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.openDirectory(dir, "adapter_model", json);
        Map<LoraTarget, TensorInfo[]> pairs = pairs(ckpt, config, base);
        NDManager manager = parent.newSubManager();
        try {
            float scale = (float) config.scale();
            Map<LoraTarget, NDArray[]> modules = new LinkedHashMap<>();
            for (Map.Entry<LoraTarget, TensorInfo[]> e : pairs.entrySet()) {
                NDArray at = ckpt.loadFloat32(e.getValue()[0].name(), manager);
                NDArray bt = ckpt.loadFloat32(e.getValue()[1].name(), manager);
                modules.put(e.getKey(), new NDArray[] {transposed(at, 1f, manager), transposed(bt, scale, manager)});
            }
            Map<GroupKey, NDArray[]> groups = new LinkedHashMap<>();
            for (int layer = 0; layer < base.numLayers(); layer++) {
                for (ProjectionGroup group : ProjectionGroup.values()) {
                    NDArray[] fused = fuse(modules, layer, group, base, manager);
                    if (fused != null) {
                        groups.put(new GroupKey(layer, group), fused);
                    }
                }
            }
            return new LoraAdapter(name, config, manager, modules, groups);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Reads an adapter's factors as PEFT stores them, validated against the base model, for training
     * to continue from: {@code A [r, in]}, {@code B [out, r]}, unscaled.
     *
     * @param dir     the adapter directory
     * @param config  its {@code adapter_config.json}, read with {@link LoraConfig#read}
     * @param base    the base model's shape
     * @param manager owns the returned tensors
     * @return {A, B} per target, in the checkpoint's order
     * @throws ModelFormatException when a tensor is malformed or does not fit the base model
     */
    public static Map<LoraTarget, NDArray[]> readFactors(Path dir, LoraConfig config, ModelConfig base,
            NDManager manager, ObjectMapper json) {
        SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.openDirectory(dir, "adapter_model", json);
        Map<LoraTarget, NDArray[]> out = new LinkedHashMap<>();
        for (Map.Entry<LoraTarget, TensorInfo[]> e : pairs(ckpt, config, base).entrySet()) {
            out.put(e.getKey(), new NDArray[] {ckpt.loadFloat32(e.getValue()[0].name(), manager),
                    ckpt.loadFloat32(e.getValue()[1].name(), manager)});
        }
        return out;
    }

    /** @return {@code scale · t^T}, contiguous, owned by {@code manager}; closes {@code t} */
    private static NDArray transposed(NDArray t, float scale, NDManager manager) {
        NDArray out = scale == 1f ? t.transpose().duplicate() : t.transpose().mul(scale);
        out.attach(manager);
        t.close();
        return out;
    }

    /**
     * Fuses the factors of the targeted projections of one group: {@code A = [A_q^T | A_k^T | ...]}
     * ({@code [in, R]}) and a block-diagonal {@code B} ({@code [R, groupOut]}) holding {@code s·B_m^T}
     * at each module's rows and output columns, so {@code (xA)B} is every module's update at once.
     */
    private static NDArray[] fuse(Map<LoraTarget, NDArray[]> modules, int layer, ProjectionGroup group,
            ModelConfig base, NDManager manager) {
        List<String> present = group.modules().stream()
                .filter(m -> modules.containsKey(new LoraTarget(layer, m))).toList();
        if (present.isEmpty()) {
            return null;
        }
        NDList as = new NDList();
        for (String m : present) {
            as.add(modules.get(new LoraTarget(layer, m))[0]);
        }
        NDArray a = NDArrays.concat(as, 1);
        a.attach(manager);
        NDArray b = manager.zeros(new Shape(a.getShape().get(1), group.outFeatures(base)), DataType.FLOAT32);
        long row = 0;
        for (String m : present) {
            NDArray bm = modules.get(new LoraTarget(layer, m))[1];
            long r = bm.getShape().get(0);
            int col = group.offset(m, base);
            b.set(new NDIndex().addSliceDim(row, row + r).addSliceDim(col, col + bm.getShape().get(1)), bm);
            row += r;
        }
        return new NDArray[] {a, b};
    }

    private static Map<LoraTarget, TensorInfo[]> pairs(SafetensorsCheckpoint ckpt, LoraConfig config, ModelConfig base) {
        Path file = null;
        Map<LoraTarget, TensorInfo[]> pairs = new LinkedHashMap<>();
        for (String key : ckpt.names()) {
            TensorInfo info = ckpt.info(key);
            file = info.file();
            Matcher m = KEY.matcher(key);
            if (!m.matches()) {
                throw new ModelFormatException(info.file(), "tensor '" + key + "' is not a LoRA factor of a "
                        + "decoder projection (adapters on embeddings, lm_head or norms are not supported)");
            }
            int layer = Integer.parseInt(m.group(1));
            String module = m.group(3);
            if (!ModelConfigReader.PROJECTIONS.contains(module)) {
                throw new ModelFormatException(info.file(), "tensor '" + key + "' targets '" + module
                        + "', which is not a projection of " + base.family().architecture());
            }
            if (layer >= base.numLayers()) {
                throw new ModelFormatException(info.file(), "tensor '" + key + "' targets layer " + layer
                        + " but the base model has " + base.numLayers() + " layers");
            }
            LoraTarget target = new LoraTarget(layer, module);
            if (!config.targets(target.modulePath())) {
                throw new ModelFormatException(info.file(), "tensor '" + key + "' is for " + target.modulePath()
                        + ", which target_modules does not select");
            }
            boolean isA = m.group(4).equals("A");
            long[] expected = isA
                    ? new long[] {config.rank(), base.inFeatures(module)}
                    : new long[] {base.outFeatures(module), config.rank()};
            if (!java.util.Arrays.equals(info.shape(), expected)) {
                throw new ModelFormatException(info.file(), "tensor '" + key + "' has shape " + info.shapeText()
                        + " but r=" + config.rank() + " on this base model needs " + java.util.Arrays.toString(expected));
            }
            pairs.computeIfAbsent(target, t -> new TensorInfo[2])[isA ? 0 : 1] = info;
        }
        if (pairs.isEmpty()) {
            throw new ModelFormatException(file == null ? Path.of("adapter_model.safetensors") : file,
                    "no LoRA tensors");
        }
        for (Map.Entry<LoraTarget, TensorInfo[]> e : pairs.entrySet()) {
            if (e.getValue()[0] == null || e.getValue()[1] == null) {
                throw new ModelFormatException(file, e.getKey().modulePath() + " has only one of lora_A / lora_B");
            }
        }
        return pairs;
    }

    /** @return the adapter's name */
    public String name() {
        return name;
    }

    /** @return its configuration */
    public LoraConfig config() {
        return config;
    }

    /** @return the projections it changes */
    public Set<LoraTarget> targets() {
        return modules.keySet();
    }

    /** @return {@code {A^T [in, r], s·B^T [r, out]}} of one projection, or null if the adapter leaves it alone */
    public NDArray[] factors(int layer, String module) {
        return modules.get(new LoraTarget(layer, module));
    }

    /**
     * @return the fused factors of a projection group, {@code {A [in, R], B [R, groupOut]}} with the
     *         scale folded into B, or null if the adapter leaves the whole group alone
     */
    public NDArray[] factors(int layer, ProjectionGroup group) {
        return groups.get(new GroupKey(layer, group));
    }

    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        return "LoraAdapter[" + name + ", r=" + config.rank() + ", " + modules.size() + " projections]";
    }
}
