package dev.livetune.llm.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.livetune.llm.model.ModelConfig;
import dev.livetune.llm.model.ProjectionGroup;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The LoRA factors of one batch, one adapter (or none) per row, ready for the forward pass.
 *
 * <p>When every row uses the same adapter the adapter's own fused factors are used as they are.
 * Otherwise they are stacked per row ({@code A: [batch, in, R]}, {@code B: [batch, R, out]}),
 * zero-padded up to the largest rank and zero for rows without an adapter, so one batched matmul
 * pair applies each row's own update: zero padding adds exactly nothing. Build it once per batch
 * composition; it owns the stacked copies.
 */
public final class LoraBatch implements AutoCloseable {

    private static final LoraBatch NONE = new LoraBatch(null, null);

    private final NDManager manager;
    /** [layer][group] → {A, B} or null. */
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
        ProjectionGroup[] groups = ProjectionGroup.values();
        NDArray[][][] factors = new NDArray[config.numLayers()][groups.length][];
        for (int l = 0; l < config.numLayers(); l++) {
            for (ProjectionGroup g : groups) {
                factors[l][g.ordinal()] = shared ? rows.get(0).factors(l, g) : stack(rows, l, g, config, manager);
            }
        }
        return new LoraBatch(manager, factors);
    }

    private static NDArray[] stack(List<LoraAdapter> rows, int layer, ProjectionGroup group, ModelConfig config,
            NDManager manager) {
        long rMax = 0;
        for (LoraAdapter a : rows) {
            NDArray[] f = a == null ? null : a.factors(layer, group);
            if (f != null) {
                rMax = Math.max(rMax, f[0].getShape().get(1));
            }
        }
        if (rMax == 0) {
            return null;
        }
        int in = group.inFeatures(config);
        int out = group.outFeatures(config);
        NDList as = new NDList();
        NDList bs = new NDList();
        try (NDManager scratch = manager.newSubManager()) {
            for (LoraAdapter a : rows) {
                NDArray[] f = a == null ? null : a.factors(layer, group);
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
    public NDArray delta(NDArray x, int layer, ProjectionGroup group) {
        if (factors == null) {
            return null;
        }
        NDArray[] f = factors[layer][group.ordinal()];
        return f == null ? null : x.matMul(f[0]).matMul(f[1]);
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
