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
    private final DataType dataType;

    KvCache(NDManager parent, int layers, int batch, int kvHeads, int headDim, int capacity, DataType dataType) {
        this.manager = parent.newSubManager();
        this.dataType = dataType;
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
        NDArray a = manager.zeros(new Shape(batch, kvHeads, cap, headDim), dataType);
        NDScope.unregister(a);
        return a;
    }

    /** @return rows in the batch */
    public int batchSize() {
        return start.length;
    }

    /** @return positions allocated per row (grown by doubling as sequences lengthen) */
    public int capacity() {
        return capacity;
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

    /**
     * Appends the rows of {@code other} after this cache's rows, so sequences prefilled on their own
     * can join a running batch. Both sides are aligned to the longer length by extra left padding,
     * which the mask hides and the RoPE positions ignore (a row's positions count from its start).
     * {@code other} is closed.
     */
    public void absorb(KvCache other) {
        if (other.layers != layers || other.kvHeads != kvHeads || other.headDim != headDim) {
            throw new IllegalArgumentException("caches of different models");
        }
        int rows = start.length;
        int total = rows + other.start.length;
        int len = Math.max(length, other.length);
        int cap = Math.max(Math.max(capacity, other.capacity), len);
        try (NDScope scope = new NDScope()) {
            for (int l = 0; l < layers; l++) {
                keys[l] = join(keys[l], length, other.keys[l], other.length, rows, total, len, cap);
                values[l] = join(values[l], length, other.values[l], other.length, rows, total, len, cap);
            }
        }
        int[] starts = Arrays.copyOf(start, total);
        for (int b = 0; b < rows; b++) {
            starts[b] += len - length;
        }
        for (int b = 0; b < other.start.length; b++) {
            starts[rows + b] = other.start[b] + len - other.length;
        }
        start = starts;
        length = len;
        capacity = cap;
        other.close();
    }

    private NDArray join(NDArray mine, int mineLength, NDArray theirs, int theirLength, int rows, int total, int len,
            int cap) {
        NDArray joined = allocate(total, cap);
        if (mineLength > 0 && rows > 0) {
            joined.set(new NDIndex().addSliceDim(0, rows).addAllDim().addSliceDim(len - mineLength, len),
                    mine.get(NDIndex.sliceAxis(2, 0, mineLength)));
        }
        if (theirLength > 0) {
            joined.set(new NDIndex().addSliceDim(rows, total).addAllDim().addSliceDim(len - theirLength, len),
                    theirs.get(NDIndex.sliceAxis(2, 0, theirLength)));
        }
        mine.close();
        return joined;
    }

    /**
     * Drops the leading slots that are padding in every row (left behind when the longest sequences
     * leave the batch), so attention stops paying for them.
     */
    public void trimPadding() {
        int shift = Integer.MAX_VALUE;
        for (int s : start) {
            shift = Math.min(shift, s);
        }
        if (start.length == 0 || shift == 0) {
            return;
        }
        int cap = Math.max(1, capacity - shift);
        try (NDScope scope = new NDScope()) {
            for (int l = 0; l < layers; l++) {
                keys[l] = shifted(keys[l], shift, cap);
                values[l] = shifted(values[l], shift, cap);
            }
        }
        for (int b = 0; b < start.length; b++) {
            start[b] -= shift;
        }
        length -= shift;
        capacity = cap;
    }

    private NDArray shifted(NDArray old, int shift, int cap) {
        NDArray moved = allocate(start.length, cap);
        if (length > shift) {
            moved.set(NDIndex.sliceAxis(2, 0, length - shift), old.get(NDIndex.sliceAxis(2, shift, length)));
        }
        old.close();
        return moved;
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
