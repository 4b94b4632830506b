package dev.livetune.llm.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.llm.lora.LoraAdapter;
import dev.livetune.llm.lora.LoraConfig;
import dev.livetune.llm.lora.LoraDelta;
import dev.livetune.llm.lora.LoraTarget;
import dev.livetune.llm.model.DecoderModel;
import dev.livetune.llm.model.ModelConfig;
import dev.livetune.llm.model.ModelWeights;
import dev.livetune.llm.model.ProjectionGroup;
import dev.livetune.llm.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A LoRA adapter being trained, in PEFT's own layout ({@code A [r, in]}, {@code B [out, r]}), so its
 * gradients, optimizer state and saved file compare key for key with PEFT's. As a {@link LoraDelta}
 * it adds {@code s · B(A(dropout(x)))} to each targeted projection, exactly as PEFT's
 * {@code lora.Linear} does, with every factor recording gradients.
 */
public final class TrainableLora implements Trainable, LoraDelta {

    private final ModelConfig base;
    private final int rank;
    private final double alpha;
    private final boolean rsLora;
    private final double dropout;
    private final List<String> modules;
    private final ModelWeights frozen;
    private final NDManager manager;
    private final Map<LoraTarget, NDArray[]> factors;
    private final NDArray scale;
    private boolean training = true;

    private TrainableLora(DecoderModel model, int rank, double alpha, boolean rsLora, double dropout,
            List<String> modules, NDManager manager, Map<LoraTarget, NDArray[]> factors) {
        this.base = model.config();
        this.frozen = model.weights();
        this.rank = rank;
        this.alpha = alpha;
        this.rsLora = rsLora;
        this.dropout = dropout;
        this.modules = List.copyOf(modules);
        this.manager = manager;
        this.factors = factors;
        this.scale = manager.create((float) (rsLora ? alpha / Math.sqrt(rank) : alpha / rank));
        for (NDArray[] f : factors.values()) {
            f[0].setRequiresGradient(true);
            f[1].setRequiresGradient(true);
        }
    }

    /**
     * A fresh adapter initialised as PEFT does: {@code A ~ U(-1/√in, 1/√in)} (Kaiming-uniform with
     * a = √5), {@code B = 0}, so training starts from exactly the base model.
     */
    public static TrainableLora create(DecoderModel model, HyperParameters hp) {
        ModelConfig base = model.config();
        NDManager manager = model.manager().newSubManager();
        SplittableRandom random = new SplittableRandom(hp.seed());
        Map<LoraTarget, NDArray[]> factors = new LinkedHashMap<>();
        for (int l = 0; l < base.numLayers(); l++) {
            for (String m : hp.targetModules()) {
                int in = base.inFeatures(m);
                double bound = 1.0 / Math.sqrt(in);
                float[] a = new float[hp.r() * in];
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) random.nextDouble(-bound, bound);
                }
                factors.put(new LoraTarget(l, m), new NDArray[] {manager.create(a, new Shape(hp.r(), in)),
                        manager.zeros(new Shape(base.outFeatures(m), hp.r()))});
            }
        }
        return new TrainableLora(model, hp.r(), hp.loraAlpha(), hp.useRslora(), hp.loraDropout(),
                hp.targetModules(), manager, factors);
    }

    /**
     * Continues from a saved PEFT adapter: its rank, alpha, rsLoRA setting and targets carry on; the
     * dropout is this run's.
     *
     * @throws dev.livetune.llm.model.ModelFormatException when the adapter does not fit the base model
     */
    public static TrainableLora load(Path dir, DecoderModel model, double dropout, ObjectMapper json) {
        ModelConfig base = model.config();
        LoraConfig config = LoraConfig.read(dir.resolve("adapter_config.json"), json);
        NDManager manager = model.manager().newSubManager();
        try {
            Map<LoraTarget, NDArray[]> factors = LoraAdapter.readFactors(dir, config, base, manager, json);
            List<String> modules = factors.keySet().stream().map(LoraTarget::module).distinct().toList();
            return new TrainableLora(model, config.rank(), config.alpha(), config.useRsLora(), dropout, modules,
                    manager, factors);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** @return LoRA rank */
    public int rank() {
        return rank;
    }

    /** @return {@code lora_alpha} */
    public double alpha() {
        return alpha;
    }

    /** @return whether the scale is alpha/√r */
    public boolean rsLora() {
        return rsLora;
    }

    /** @return the targeted projection names */
    public List<String> modules() {
        return modules;
    }

    /** Dropout applies only while training; evaluation passes see the adapter as saved. */
    @Override
    public void setTraining(boolean training) {
        this.training = training;
    }

    /** @return every factor under its PEFT key, A then B per target, all with weight decay */
    @Override
    public List<Parameter> parameters() {
        List<Parameter> out = new ArrayList<>();
        factors.forEach((t, f) -> {
            out.add(new Parameter(key(t, "A"), f[0], true));
            out.add(new Parameter(key(t, "B"), f[1], true));
        });
        return out;
    }

    /** PEFT's saved key: {@code base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight}. */
    public static String key(LoraTarget target, String factor) {
        return "base_model.model." + target.modulePath() + ".lora_" + factor + ".weight";
    }

    @Override
    public ModelWeights weights() {
        return frozen;
    }

    @Override
    public LoraDelta lora() {
        return this;
    }

    /**
     * {@code s · B(A x)} for each projection of the group, side by side. The group's projections share
     * their input, so without dropout their {@code A}s run as one matmul ({@code x · [A₁; A₂; A₃]ᵀ}) and
     * each {@code B} reads its slice of that: per group two to three times fewer (and larger) operations
     * forward and backward than a projection at a time, for the same sums. With dropout each projection
     * draws its own mask, as PEFT's separate {@code lora.Linear}s do, so they run one by one.
     */
    @Override
    public NDArray delta(NDArray x, int layer, ProjectionGroup group) {
        List<String> modules = group.modules();
        NDArray[][] f = new NDArray[modules.size()][];
        int present = 0;
        for (int i = 0; i < f.length; i++) {
            f[i] = factors.get(new LoraTarget(layer, modules.get(i)));
            present += f[i] == null ? 0 : 1;
        }
        if (present == 0) {
            return null;
        }
        if (present < f.length || training && dropout > 0) {
            return deltaOneByOne(x, layer, modules, f);
        }
        if (f.length == 1) {
            return linear(linear(x, f[0][0]).mul(scale), f[0][1]);
        }
        NDList as = new NDList();
        for (NDArray[] factor : f) {
            as.add(factor[0]);
        }
        NDArray xa = linear(x, NDArrays.concat(as, 0)).mul(scale);
        long[] splits = new long[f.length - 1];
        for (int i = 0; i < splits.length; i++) {
            splits[i] = (long) (i + 1) * rank;
        }
        NDList slices = xa.split(splits, xa.getShape().dimension() - 1);
        NDList parts = new NDList();
        for (int i = 0; i < f.length; i++) {
            parts.add(linear(slices.get(i), f[i][1]));
        }
        return NDArrays.concat(parts, -1);
    }

    private NDArray deltaOneByOne(NDArray x, int layer, List<String> modules, NDArray[][] f) {
        NDList parts = new NDList();
        for (int i = 0; i < f.length; i++) {
            if (f[i] == null) {
                Shape s = x.getShape();
                parts.add(x.getManager().zeros(new Shape(s.get(0), s.get(1), base.outFeatures(modules.get(i)))));
                continue;
            }
            NDArray in = training && dropout > 0 ? Dropout.dropout(x, (float) dropout, true).singletonOrThrow() : x;
            parts.add(linear(linear(in, f[i][0]).mul(scale), f[i][1]));
        }
        return parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, -1);
    }

    /** {@code x · wᵀ} for a weight in PEFT's {@code [out, in]} layout, without materialising the transpose. */
    private static NDArray linear(NDArray x, NDArray w) {
        return Linear.linear(x, w, null).singletonOrThrow();
    }

    /**
     * Writes {@code adapter_config.json} and {@code adapter_model.safetensors} as PEFT would, so PEFT,
     * vLLM and livetune's inference all load it.
     *
     * @param dir     target directory (created)
     * @param baseDir recorded as {@code base_model_name_or_path}
     */
    @Override
    public void save(Path dir, Path baseDir) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Files.createDirectories(dir);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (Parameter p : parameters()) {
            tensors.put(p.name(), p.value());
        }
        new SafetensorsWriter(json).write(dir.resolve("adapter_model.safetensors"), tensors, Map.of("format", "pt"));
        ObjectNode c = json.createObjectNode();
        c.put("peft_type", "LORA");
        c.put("task_type", "CAUSAL_LM");
        c.put("base_model_name_or_path", baseDir.toAbsolutePath().toString());
        c.put("r", rank);
        c.put("lora_alpha", alpha);
        c.put("lora_dropout", dropout);
        c.put("bias", "none");
        c.put("use_rslora", rsLora);
        c.put("fan_in_fan_out", false);
        c.put("inference_mode", true);
        ArrayNode targets = c.putArray("target_modules");
        modules.forEach(targets::add);
        Path tmp = Files.createTempFile(dir, ".adapter_config", ".tmp");
        json.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), c);
        Files.move(tmp, dir.resolve("adapter_config.json"), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void close() {
        manager.close();
    }
}
