package dev.livetune.llm.safetensors;

import java.nio.file.Path;

/**
 * Where one tensor lives inside a {@code .safetensors} file.
 *
 * @param name  the tensor's key, e.g. {@code model.layers.0.self_attn.q_proj.weight}
 * @param dtype the safetensors dtype ({@code F32}, {@code F16}, {@code BF16}, ...)
 * @param shape dimensions, outermost first
 * @param file  the file that holds it
 * @param begin absolute byte offset of its first byte in {@code file}
 * @param end   absolute byte offset one past its last byte
 */
public record TensorInfo(String name, String dtype, long[] shape, Path file, long begin, long end) {

    /** @return number of elements */
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** @return the shape as text, e.g. {@code [64, 384]} */
    public String shapeText() {
        return java.util.Arrays.toString(shape);
    }
}
