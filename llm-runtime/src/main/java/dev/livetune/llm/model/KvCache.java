package dev.livetune.llm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * Keys and values of a batch of sequences, for every layer: {@code [batch, kvHeads, capacity, headDim]}.
 *
 * <p>Sequences of different lengths are left-aligned to a common end: row {@code b} holds padding
 * in slots {@code [0, start(b))} and its tokens after that, so every decode step writes all rows
 * at the same slot. The attention mask hides the padding. Capacity grows by doubling.
 *
 * <p>Owns its native memory: close it when the batch is done.
 */
public final class KvCache implements AutoCloseable {

    private final NDManager manager;
    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private NDArray[] keys;
    private NDArray[] values;
    private int[] start;
    private int length;
    private int capacity;

    KvCache(NDManager parent, int layers, int batch, int kvHeads, int headDim, int capacity) {
        this.manager = parent.newSubManager();
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.start = new int[batch];
        this.capacity = Math.max(capacity, 1);
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        for (int l = 0; l < layers; l++) {
            keys[l] = allocate(batch, this.capacity);
            values[l] = allocate(batch, this.capacity);
        }
    }

    private NDArray allocate(int batch, int cap) {
        NDArray a = manager.zeros(new Shape(batch, kvHeads, cap, headDim), DataType.FLOAT32);
        NDScope.unregister(a);
        return a;
    }

    /** @return rows in the batch */
    public int batchSize() {
        return start.length;
    }

    /** @return slots in use (including left padding) */
    public int length() {
        return length;
    }

    /** @return the first real slot of a row */
    public int start(int row) {
        return start[row];
    }

    /** Declares how much left padding each row gets in the next (first) append. */
    void setStarts(int[] starts) {
        if (length != 0) {
            throw new IllegalStateException("starts are fixed once the cache holds tokens");
        }
        this.start = starts.clone();
    }

    /** Makes room for {@code extra} more slots, copying into a larger tensor when needed. */
    void reserve(int extra) {
        int needed = length + extra;
        if (needed <= capacity) {
            return;
        }
        int cap = Math.max(needed, capacity * 2);
        for (int l = 0; l < layers; l++) {
            keys[l] = grow(keys[l], cap);
            values[l] = grow(values[l], cap);
        }
        capacity = cap;
    }

    private NDArray grow(NDArray old, int cap) {
        NDArray bigger = allocate(start.length, cap);
        if (length > 0) {
            NDIndex used = NDIndex.sliceAxis(2, 0, length);
            bigger.set(used, old.get(used));
        }
        old.close();
        return bigger;
    }

    /**
     * Writes the keys and values of {@code n} new slots of one layer and returns views of every slot so far.
     *
     * @param k {@code [batch, kvHeads, n, headDim]}
     * @param v {@code [batch, kvHeads, n, headDim]}
     * @return keys and values {@code [batch, kvHeads, length + n, headDim]}
     */
    NDArray[] append(int layer, NDArray k, NDArray v, int n) {
        int end = length + n;
        NDIndex slots = NDIndex.sliceAxis(2, length, end);
        keys[layer].set(slots, k);
        values[layer].set(slots, v);
        NDIndex upTo = NDIndex.sliceAxis(2, 0, end);
        return new NDArray[] {keys[layer].get(upTo), values[layer].get(upTo)};
    }

    /** Advances the length once every layer has appended {@code n} slots. */
    void commit(int n) {
        length += n;
    }

    /**
     * Keeps only the given rows, in that order (finished sequences leave the batch).
     *
     * @param rows indices of the rows to keep
     */
    public void retainRows(int[] rows) {
        try (NDArray index = manager.create(Arrays.stream(rows).asLongStream().toArray())) {
            NDScope.unregister(index);
            for (int l = 0; l < layers; l++) {
                keys[l] = select(keys[l], index);
                values[l] = select(values[l], index);
            }
        }
        int[] kept = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            kept[i] = start[rows[i]];
        }
        start = kept;
    }

    private NDArray select(NDArray a, NDArray index) {
        NDArray picked = a.get(index);
        picked.attach(manager);
        NDScope.unregister(picked);
        a.close();
        return picked;
    }

    @Override
    public void close() {
        manager.close();
    }
}
