package dev.livetune.llm.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * bfloat16 ⇄ float32 on the Java side. DJL 0.36's PyTorch engine aborts the process when asked to
 * convert to or from bfloat16 ({@code toType(BFLOAT16)} ends in {@code std::terminate}), so bf16
 * checkpoints are widened here: a bf16 value is the upper half of the float32 with the same bits.
 */
public final class Bfloat16 {

    /** Elements converted per chunk: bounds the direct memory a conversion needs (64 MiB). */
    private static final int CHUNK = 16 * 1024 * 1024;

    private Bfloat16() {
    }

    /**
     * @param bf16  little-endian bf16 values
     * @param shape their shape
     * @return a float32 array owned by {@code manager}
     */
    static NDArray toFloat32(ByteBuffer bf16, Shape shape, NDManager manager) {
        ShortBuffer in = bf16.order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
        long size = shape.size();
        NDArray out = manager.zeros(new Shape(size), DataType.FLOAT32);
        ByteBuffer chunk = ByteBuffer.allocateDirect((int) Math.min(size, CHUNK) * 4).order(ByteOrder.nativeOrder());
        for (long from = 0; from < size; from += CHUNK) {
            int n = (int) Math.min(CHUNK, size - from);
            chunk.clear();
            FloatBuffer f = chunk.asFloatBuffer();
            for (int i = 0; i < n; i++) {
                f.put(Float.intBitsToFloat((in.get() & 0xFFFF) << 16));
            }
            chunk.limit(n * 4);
            try (NDArray part = manager.create(chunk.slice().order(ByteOrder.nativeOrder()), new Shape(n), DataType.FLOAT32)) {
                out.set(new NDIndex().addSliceDim(from, from + n), part);
            }
        }
        NDArray shaped = out.reshape(shape);
        if (shaped != out) {
            out.close();
        }
        return shaped;
    }

    /** @return the bf16 bits nearest to {@code value} (round to nearest even; NaN stays NaN) */
    public static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** @return the float32 a bf16 value stands for */
    public static float toFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xFFFF) << 16);
    }
}
