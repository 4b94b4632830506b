package dev.livetune.llm.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.livetune.llm.model.ModelConfig;
import dev.livetune.llm.model.ModelConfigReader;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The LoRA factors of one batch, one adapter (or none) per row, ready for the forward pass.
 *
 * <p>When every row uses the same adapter the factors are shared 2-D matrices. Otherwise they are
 * stacked per row ({@code A: [batch, in, rMax]}, {@code B: [batch, rMax, out]}) with zero padding
 * up to the largest rank and zeros for rows without an adapter, so a single batched matmul applies
 * each row's own update: padding with zeros adds exactly nothing. Build it once per batch
 * composition; it owns the stacked copies.
 */
public final class LoraBatch implements AutoCloseable {

    private static final LoraBatch NONE = new LoraBatch(null, null);

    private final NDManager manager;
    /** [layer][projection index] → {A, B} or null. */
    private final NDArray[][][] factors;

    private LoraBatch(NDManager manager, NDArray[][][] factors) {
        this.manager = manager;
        this.factors = factors;
    }

    /** @return a batch in which no row has an adapter */
    public static LoraBatch none() {
        return NONE;
    }

    /**
     * @param rows    the adapter of each row, null for the base model
     * @param config  the base model's shape
     * @param parent  manager whose child owns the stacked factors
     * @return the factors of the batch, or {@link #none()} when no row has an adapter
     */
    public static LoraBatch of(List<LoraAdapter> rows, ModelConfig config, NDManager parent) {
        if (rows.stream().allMatch(Objects::isNull)) {
            return NONE;
        }
        Set<LoraAdapter> distinct = Collections.newSetFromMap(new IdentityHashMap<>());
        rows.stream().filter(Objects::nonNull).forEach(distinct::add);
        boolean shared = distinct.size() == 1 && rows.stream().allMatch(Objects::nonNull);
        NDManager manager = parent.newSubManager();
        List<String> modules = ModelConfigReader.PROJECTIONS;
        NDArray[][][] factors = new NDArray[config.numLayers()][modules.size()][];
        for (int l = 0; l < config.numLayers(); l++) {
            for (int m = 0; m < modules.size(); m++) {
                String module = modules.get(m);
                if (shared) {
                    factors[l][m] = rows.get(0).factors(l, module);
                } else {
                    factors[l][m] = stack(rows, l, module, config, manager);
                }
            }
        }
        return new LoraBatch(manager, factors);
    }

    private static NDArray[] stack(List<LoraAdapter> rows, int layer, String module, ModelConfig config,
            NDManager manager) {
        int rMax = 0;
        for (LoraAdapter a : rows) {
            NDArray[] f = a == null ? null : a.factors(layer, module);
            if (f != null) {
                rMax = Math.max(rMax, (int) f[0].getShape().get(1));
            }
        }
        if (rMax == 0) {
            return null;
        }
        int in = config.inFeatures(module);
        int out = config.outFeatures(module);
        NDList as = new NDList();
        NDList bs = new NDList();
        try (NDManager scratch = manager.newSubManager()) {
            for (LoraAdapter a : rows) {
                NDArray[] f = a == null ? null : a.factors(layer, module);
                if (f == null) {
                    as.add(scratch.zeros(new Shape(in, rMax), DataType.FLOAT32));
                    bs.add(scratch.zeros(new Shape(rMax, out), DataType.FLOAT32));
                    continue;
                }
                int r = (int) f[0].getShape().get(1);
                if (r == rMax) {
                    as.add(f[0]);
                    bs.add(f[1]);
                } else {
                    as.add(f[0].concat(scratch.zeros(new Shape(in, rMax - r), DataType.FLOAT32), 1));
                    bs.add(f[1].concat(scratch.zeros(new Shape(rMax - r, out), DataType.FLOAT32), 0));
                }
            }
            NDArray a = NDArrays.stack(as);
            NDArray b = NDArrays.stack(bs);
            a.attach(manager);
            b.attach(manager);
            return new NDArray[] {a, b};
        }
    }

    /**
     * @param x      the projection's input, {@code [batch, seq, in]}
     * @param layer  decoder layer
     * @param module projection index in {@link ModelConfigReader#PROJECTIONS}
     * @return the update {@code [batch, seq, out]} to add to the projection's output, or null when
     *         no row changes this projection
     */
    public NDArray delta(NDArray x, int layer, int module) {
        if (factors == null) {
            return null;
        }
        NDArray[] f = factors[layer][module];
        return f == null ? null : x.matMul(f[0]).matMul(f[1]);
    }

    /** @return whether any row has an adapter */
    public boolean isEmpty() {
        return factors == null;
    }

    @Override
    public void close() {
        if (manager != null) {
            manager.close();
        }
    }
}
