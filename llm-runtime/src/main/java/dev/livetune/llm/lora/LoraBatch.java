package dev.livetune.llm.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.livetune.llm.model.ModelConfig;
import dev.livetune.llm.model.ModelConfigReader;
import dev.livetune.llm.model.ProjectionGroup;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The LoRA factors of one batch, one adapter (or none) per row, ready for the forward pass.
 *
 * <p>When every row uses the same adapter, the adapter's factors fused per projection group are
 * used as they are: one matmul pair per group. Otherwise each projection's factors are stacked per
 * row ({@code A: [batch, in, r]}, {@code B: [batch, r, out]}), zero-padded up to the largest rank
 * and zero for rows without an adapter, so one batched matmul pair applies each row's own update
 * (zero padding adds exactly nothing). Stacking per projection rather than per group keeps the
 * block-diagonal zeros of a fused B out of the per-row copies, which are read on every step.
 * Build it once per batch composition; it owns the stacked copies.
 */
public final class LoraBatch implements LoraDelta, AutoCloseable {

    private static final LoraBatch NONE = new LoraBatch(null, null, false, null);

    private final NDManager manager;
    /** Shared: [layer][group] → {A, B} or null. Stacked: [layer][projection] → {A, B} or null. */
    private final NDArray[][][] factors;
    private final boolean stacked;
    private final ModelConfig config;

    private LoraBatch(NDManager manager, NDArray[][][] factors, boolean stacked, ModelConfig config) {
        this.manager = manager;
        this.factors = factors;
        this.stacked = stacked;
        this.config = config;
    }

    /** @return a batch in which no row has an adapter */
    public static LoraBatch none() {
        return NONE;
    }

    /**
     * @param rows   the adapter of each row, null for the base model
     * @param config the base model's shape
     * @param parent manager whose child owns the stacked factors
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
        int width = shared ? ProjectionGroup.values().length : modules.size();
        NDArray[][][] factors = new NDArray[config.numLayers()][width][];
        for (int l = 0; l < config.numLayers(); l++) {
            for (int i = 0; i < width; i++) {
                factors[l][i] = shared
                        ? rows.get(0).factors(l, ProjectionGroup.values()[i])
                        : stack(rows, l, modules.get(i), config, manager);
            }
        }
        return new LoraBatch(manager, factors, !shared, config);
    }

    private static NDArray[] stack(List<LoraAdapter> rows, int layer, String module, ModelConfig config,
            NDManager manager) {
        long rMax = 0;
        for (LoraAdapter a : rows) {
            NDArray[] f = a == null ? null : a.factors(layer, module);
            if (f != null) {
                rMax = Math.max(rMax, f[0].getShape().get(1));
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
                long r = f[0].getShape().get(1);
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
     * @param x     the group's input, {@code [batch, seq, in]}
     * @param layer decoder layer
     * @param group projection group
     * @return the update {@code [batch, seq, groupOut]} to add to the group's fused output, or null
     *         when no row changes this group
     */
    @Override
    public NDArray delta(NDArray x, int layer, ProjectionGroup group) {
        if (factors == null) {
            return null;
        }
        if (!stacked) {
            NDArray[] f = factors[layer][group.ordinal()];
            return f == null ? null : x.matMul(f[0]).matMul(f[1]);
        }
        List<String> modules = group.modules();
        if (modules.stream().allMatch(m -> factors[layer][ModelConfigReader.PROJECTIONS.indexOf(m)] == null)) {
            return null;
        }
        NDList parts = new NDList();
        for (String m : modules) {
            NDArray[] f = factors[layer][ModelConfigReader.PROJECTIONS.indexOf(m)];
            if (f != null) {
                parts.add(x.matMul(f[0]).matMul(f[1]));
            } else {
                Shape s = x.getShape();
                parts.add(x.getManager().zeros(new Shape(s.get(0), s.get(1), config.outFeatures(m)), DataType.FLOAT32));
            }
        }
        return parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, -1);
    }

    /** @return whether no row has an adapter */
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
