package dev.livetune.llm.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.TreeMap;

/** Writes tensors (f32, f16, bf16) as one {@code .safetensors} file, atomically (temp file, then rename). */
public final class SafetensorsWriter {

    private final ObjectMapper json;

    public SafetensorsWriter(ObjectMapper json) {
        this.json = json;
    }

    /**
     * @param file     destination; replaced atomically
     * @param tensors  tensors by key, written in key order in their own dtype
     * @param metadata string metadata stored under {@code __metadata__}
     */
    public void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata) throws IOException {
        write(file, tensors, metadata, null);
    }

    /**
     * @param file     destination; replaced atomically
     * @param tensors  tensors by key, written in key order
     * @param metadata string metadata stored under {@code __metadata__}
     * @param storeAs  {@link DataType#BFLOAT16} to store float32 tensors as bf16 (rounded to nearest
     *                 even on the Java side), or null to store every tensor in its own dtype
     */
    public void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata, DataType storeAs)
            throws IOException {
        if (storeAs != null && storeAs != DataType.BFLOAT16) {
            throw new IllegalArgumentException("storeAs must be BFLOAT16 or null (convert other dtypes with toType)");
        }
        Map<String, NDArray> sorted = new TreeMap<>(tensors);
        ObjectNode header = json.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, NDArray> e : sorted.entrySet()) {
            NDArray a = e.getValue();
            DataType stored = storeAs != null ? storeAs : a.getDataType();
            long bytes = a.size() * stored.getNumOfBytes();
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", dtype(e.getKey(), stored));
            var shape = t.putArray("shape");
            for (long d : a.getShape().getShape()) {
                shape.add(d);
            }
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] headerBytes = json.writeValueAsBytes(header);
        // The data section must start 8-byte aligned: pad the JSON with spaces.
        int padded = (headerBytes.length + 7) / 8 * 8;
        byte[] headerPadded = new byte[padded];
        System.arraycopy(headerBytes, 0, headerPadded, 0, headerBytes.length);
        for (int i = headerBytes.length; i < padded; i++) {
            headerPadded[i] = ' ';
        }
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName(), ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp);
                WritableByteChannel ch = Channels.newChannel(out)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            len.flip();
            ch.write(len);
            ch.write(ByteBuffer.wrap(headerPadded));
            for (NDArray a : sorted.values()) {
                ByteBuffer data = storeAs == DataType.BFLOAT16 ? bf16(a) : a.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                while (data.hasRemaining()) {
                    ch.write(data);
                }
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static ByteBuffer bf16(NDArray a) {
        float[] values = a.toType(DataType.FLOAT32, false).toFloatArray();
        ByteBuffer out = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            out.putShort(Bfloat16.fromFloat(v));
        }
        return out.flip();
    }

    private static String dtype(String name, DataType type) {
        return switch (type) {
            case FLOAT32 -> "F32";
            case FLOAT16 -> "F16";
            case BFLOAT16 -> "BF16";
            default -> throw new IllegalArgumentException(name + " is " + type + "; only f32, f16 and bf16 are written");
        };
    }
}
