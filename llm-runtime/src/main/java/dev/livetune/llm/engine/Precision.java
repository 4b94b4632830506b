package dev.livetune.llm.engine;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/**
 * The number format of the model's weights, activations and KV cache: the {@code precision} setting
 * of inference-service and the trainer.
 * <ul>
 *   <li>{@code auto} (the default): float16 on a CUDA device, float32 on the CPU;</li>
 *   <li>{@code float32} ({@code fp32});</li>
 *   <li>{@code float16} ({@code fp16}, {@code half}): half the memory and, on a GPU, tensor-core
 *       matmuls. RMSNorm, softmax inputs' normalisation and LoRA updates are still computed in
 *       float32, and logits come back as float32. Allowed on the CPU too (for parity checks; PyTorch's
 *       CPU half kernels are slower than float32);</li>
 *   <li>{@code bfloat16} is refused: DJL 0.36's PyTorch engine aborts the process on any conversion
 *       to or from bfloat16 (see {@link dev.livetune.llm.safetensors.Bfloat16}).</li>
 * </ul>
 */
public enum Precision {
    FLOAT32(DataType.FLOAT32),
    FLOAT16(DataType.FLOAT16);

    /** A precision setting this process cannot honour. */
    public static final class UnsupportedPrecisionException extends IllegalArgumentException {
        UnsupportedPrecisionException(String message) {
            super(message);
        }
    }

    private final DataType dataType;

    Precision(DataType dataType) {
        this.dataType = dataType;
    }

    /** @return the tensor type of weights and activations */
    public DataType dataType() {
        return dataType;
    }

    /** @return the setting's canonical name ({@code float32}, {@code float16}) */
    public String settingName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @param setting {@code auto}, {@code float32}/{@code fp32}, {@code float16}/{@code fp16}/{@code half}
     * @param device  where the model computes ({@link Devices#select})
     * @throws UnsupportedPrecisionException for bfloat16 and for anything else unknown, saying why
     */
    public static Precision select(String setting, Device device) {
        String s = setting == null ? "auto" : setting.strip().toLowerCase(Locale.ROOT);
        return switch (s) {
            case "auto" -> device.isGpu() ? FLOAT16 : FLOAT32;
            case "float32", "fp32" -> FLOAT32;
            case "float16", "fp16", "half" -> FLOAT16;
            case "bfloat16", "bf16" -> throw new UnsupportedPrecisionException("precision '" + setting
                    + "' is not available: DJL 0.36's PyTorch engine aborts the process on conversions to or from"
                    + " bfloat16; use float16 (GPU) or float32");
            default -> throw new UnsupportedPrecisionException("precision '" + setting
                    + "' is not auto, float32 or float16");
        };
    }
}
