package dev.livetune.llm.perf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * Copy bandwidth of this machine, measured with PyTorch's own (multi-threaded) copy so it uses the
 * same threads as inference. Reported STREAM-style: bytes read plus bytes written per second, the
 * higher of two conventions, which makes a bandwidth limit derived from it the stricter one.
 */
public final class MemoryBandwidth {

    private static final long BYTES = 512L * 1024 * 1024;

    private MemoryBandwidth() {
    }

    /** @return bytes per second, median of 5 copies of a 512 MiB buffer */
    public static double measure(NDManager parent) {
        try (NDManager m = parent.newSubManager()) {
            NDArray src = m.ones(new Shape(BYTES / 4), DataType.FLOAT32);
            NDArray dst = m.zeros(new Shape(BYTES / 4), DataType.FLOAT32);
            double[] rates = new double[5];
            for (int i = 0; i < rates.length; i++) {
                long t = System.nanoTime();
                dst.set(new ai.djl.ndarray.index.NDIndex(":"), src);
                long elapsed = System.nanoTime() - t;
                rates[i] = 2.0 * BYTES / (elapsed / 1e9);
            }
            Arrays.sort(rates);
            return rates[rates.length / 2];
        }
    }
}
