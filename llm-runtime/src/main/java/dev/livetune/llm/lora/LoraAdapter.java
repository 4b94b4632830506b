package dev.livetune.llm.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.llm.model.ModelConfig;
import dev.livetune.llm.model.ModelConfigReader;
import dev.livetune.llm.model.ModelFormatException;
import dev.livetune.llm.safetensors.SafetensorsCheckpoint;
import dev.livetune.llm.safetensors.TensorInfo;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PEFT LoRA adapter loaded for one base model, kept unmerged so that a batch can mix adapters.
 * For every target projection it holds {@code A^T} ({@code [in, r]}) and {@code s·B^T}
 * ({@code [r, out]}), so the update is {@code Δy = (x A^T)(s B^T)}.
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
    private final Map<LoraTarget, NDArray[]> factors;

    private LoraAdapter(String name, LoraConfig config, NDManager manager, Map<LoraTarget, NDArray[]> factors) {
        this.name = name;
        this.config = config;
        this.manager = manager;
        this.factors = Collections.unmodifiableMap(factors);
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
            Map<LoraTarget, NDArray[]> factors = new LinkedHashMap<>();
            float scale = (float) config.scale();
            for (Map.Entry<LoraTarget, TensorInfo[]> e : pairs.entrySet()) {
                try (NDManager scratch = manager.newSubManager()) {
                    NDArray a = ckpt.loadFloat32(e.getValue()[0].name(), scratch);
                    NDArray b = ckpt.loadFloat32(e.getValue()[1].name(), scratch);
                    NDArray at = a.transpose().duplicate();
                    NDArray bt = b.transpose().mul(scale);
                    at.attach(manager);
                    bt.attach(manager);
                    factors.put(e.getKey(), new NDArray[] {at, bt});
                }
            }
            return new LoraAdapter(name, config, manager, factors);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
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
        return factors.keySet();
    }

    /**
     * @return {@code {A^T [in, r], s·B^T [r, out]}} for a projection, or null if the adapter leaves it alone
     */
    public NDArray[] factors(int layer, String module) {
        return factors.get(new LoraTarget(layer, module));
    }

    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        return "LoraAdapter[" + name + ", r=" + config.rank() + ", " + factors.size() + " projections]";
    }
}
