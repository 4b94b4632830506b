package dev.livetune.llm.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.llm.model.ModelFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The tensors of one checkpoint: a single {@code .safetensors} file, or the shards named by a
 * {@code model.safetensors.index.json}. Only headers are read up front; each tensor is read on
 * demand through a memory map and copied into memory owned by the caller's {@link NDManager}.
 */
public final class SafetensorsCheckpoint {

    /** Header size above which a file is treated as corrupt rather than read into memory. */
    private static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private final Map<String, TensorInfo> tensors;

    private SafetensorsCheckpoint(Map<String, TensorInfo> tensors) {
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    /**
     * Opens the checkpoint of a Hugging Face model directory.
     *
     * @param dir  the directory
     * @param stem the file stem, {@code model} for models and {@code adapter_model} for PEFT adapters
     * @throws ModelFormatException when neither a single file nor an index is there, or one is malformed
     */
    public static SafetensorsCheckpoint openDirectory(Path dir, String stem, ObjectMapper json) {
        Path single = dir.resolve(stem + ".safetensors");
        Path index = dir.resolve(stem + ".safetensors.index.json");
        if (Files.isRegularFile(single)) {
            return new SafetensorsCheckpoint(readHeader(single, json));
        }
        if (Files.isRegularFile(index)) {
            return openIndex(index, json);
        }
        if (Files.exists(dir.resolve(stem + ".bin")) || Files.exists(dir.resolve("pytorch_model.bin"))) {
            throw new ModelFormatException(dir, "only PyTorch pickle weights (.bin) found; convert them to "
                    + "safetensors (transformers: save_pretrained(..., safe_serialization=True))");
        }
        throw new ModelFormatException(single, "file not found (nor " + index.getFileName() + ")");
    }

    /** Opens one {@code .safetensors} file. */
    public static SafetensorsCheckpoint openFile(Path file, ObjectMapper json) {
        return new SafetensorsCheckpoint(readHeader(file, json));
    }

    private static SafetensorsCheckpoint openIndex(Path index, ObjectMapper json) {
        JsonNode weightMap;
        try {
            weightMap = json.readTree(index.toFile()).path("weight_map");
        } catch (IOException e) {
            throw new ModelFormatException(index, "malformed JSON: " + e.getMessage(), e);
        }
        if (!weightMap.isObject()) {
            throw new ModelFormatException(index, "no 'weight_map' object");
        }
        Map<String, Map<String, TensorInfo>> shards = new LinkedHashMap<>();
        Map<String, TensorInfo> all = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String shardName = e.getValue().asText();
            Path shard = index.resolveSibling(shardName).normalize();
            if (!shard.getParent().equals(index.getParent().normalize())) {
                throw new ModelFormatException(index, "shard '" + shardName + "' is outside the model directory");
            }
            Map<String, TensorInfo> header = shards.computeIfAbsent(shardName, n -> readHeader(shard, json));
            TensorInfo info = header.get(e.getKey());
            if (info == null) {
                throw new ModelFormatException(shard, "tensor '" + e.getKey() + "' listed in "
                        + index.getFileName() + " is not in this shard");
            }
            all.put(e.getKey(), info);
        }
        return new SafetensorsCheckpoint(all);
    }

    /** @return every tensor name in the checkpoint */
    public Set<String> names() {
        return tensors.keySet();
    }

    /** @return where a tensor lives, or null if absent */
    public TensorInfo info(String name) {
        return tensors.get(name);
    }

    /** @return whether the checkpoint has this tensor */
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /**
     * Reads a tensor as float32, converting from f16/bf16 when needed.
     *
     * @param name    the tensor's key
     * @param manager owner of the returned array
     * @return a float32 array of the stored shape, in memory the returned array owns
     */
    public NDArray loadFloat32(String name, NDManager manager) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new IllegalArgumentException("no tensor " + name);
        }
        DataType stored = dataType(info);
        ByteBuffer bytes = map(info);
        Shape shape = new Shape(info.shape());
        if (stored == DataType.BFLOAT16) {
            return Bfloat16.toFloat32(bytes, shape, manager);
        }
        try (NDManager scratch = manager.newSubManager()) {
            // The mapped array aliases the file; the copy below is what the caller owns.
            NDArray mapped = scratch.create(bytes, shape, stored);
            NDArray owned = stored == DataType.FLOAT32 ? mapped.duplicate() : mapped.toType(DataType.FLOAT32, true);
            owned.attach(manager);
            return owned;
        }
    }

    private static DataType dataType(TensorInfo info) {
        return switch (info.dtype()) {
            case "F32" -> DataType.FLOAT32;
            case "F16" -> DataType.FLOAT16;
            case "BF16" -> DataType.BFLOAT16;
            default -> throw new ModelFormatException(info.file(), "tensor '" + info.name() + "' has dtype "
                    + info.dtype() + "; supported: F32, F16, BF16");
        };
    }

    private static ByteBuffer map(TensorInfo info) {
        try (FileChannel ch = FileChannel.open(info.file(), StandardOpenOption.READ)) {
            MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, info.begin(), info.end() - info.begin());
            return buf.order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new ModelFormatException(info.file(), "cannot read tensor '" + info.name() + "': " + e.getMessage(), e);
        }
    }

    private static Map<String, TensorInfo> readHeader(Path file, ObjectMapper json) {
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file, "file not found");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            if (ch.read(lenBuf, 0) != 8) {
                throw new ModelFormatException(file, "truncated: shorter than the 8-byte header length");
            }
            long headerLen = lenBuf.getLong(0);
            if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES || 8 + headerLen > fileSize) {
                throw new ModelFormatException(file, "not a safetensors file (header length " + headerLen + ")");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            while (header.hasRemaining()) {
                if (ch.read(header, 8 + header.position()) < 0) {
                    throw new ModelFormatException(file, "truncated header");
                }
            }
            JsonNode root = json.readTree(header.array());
            long dataStart = 8 + headerLen;
            Map<String, TensorInfo> out = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                out.put(e.getKey(), tensorInfo(file, e.getKey(), e.getValue(), dataStart, fileSize));
            }
            return out;
        } catch (IOException e) {
            throw new ModelFormatException(file, "cannot read safetensors header: " + e.getMessage(), e);
        }
    }

    private static TensorInfo tensorInfo(Path file, String name, JsonNode t, long dataStart, long fileSize) {
        JsonNode shapeNode = t.path("shape");
        JsonNode offsets = t.path("data_offsets");
        String dtype = t.path("dtype").asText("");
        if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2 || dtype.isEmpty()) {
            throw new ModelFormatException(file, "tensor '" + name + "' lacks dtype, shape or data_offsets");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong();
        }
        long begin = dataStart + offsets.get(0).asLong();
        long end = dataStart + offsets.get(1).asLong();
        TensorInfo info = new TensorInfo(name, dtype, shape, file, begin, end);
        long width = switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            default -> 1;
        };
        if (end > fileSize || begin > end || (end - begin) != info.elementCount() * width) {
            throw new ModelFormatException(file, "tensor '" + name + "' has data_offsets that do not match its "
                    + "shape " + info.shapeText() + " and dtype " + dtype + " (or run past the end of the file)");
        }
        return info;
    }
}
