package dev.livetune.llm.engine;

import ai.djl.Device;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the model computes: the {@code device} setting of inference-service and the trainer.
 * <ul>
 *   <li>{@code auto} (the default): the first CUDA device when the loaded PyTorch native library
 *       sees one, otherwise the CPU;</li>
 *   <li>{@code cpu};</li>
 *   <li>{@code cuda} or {@code cuda:N}: that CUDA device, refused when the native library sees fewer
 *       (a CPU build of PyTorch sees none).</li>
 * </ul>
 * The number format is a separate setting, {@link Precision}.
 */
public final class Devices {

    private static final Pattern CUDA = Pattern.compile("cuda(?::(\\d{1,2}))?");

    /** A device setting this process cannot honour. */
    public static final class UnavailableDeviceException extends IllegalArgumentException {
        UnavailableDeviceException(String message) {
            super(message);
        }
    }

    private Devices() {
    }

    /**
     * @param setting     {@code auto}, {@code cpu}, {@code cuda} or {@code cuda:N}
     * @param cudaDevices how many CUDA devices the loaded PyTorch native library sees
     * @throws UnavailableDeviceException naming the setting and what this process has
     */
    public static Device select(String setting, int cudaDevices) {
        String s = setting == null ? "auto" : setting.strip().toLowerCase(Locale.ROOT);
        if (s.equals("auto")) {
            return cudaDevices > 0 ? Device.gpu(0) : Device.cpu();
        }
        if (s.equals("cpu")) {
            return Device.cpu();
        }
        Matcher m = CUDA.matcher(s);
        if (!m.matches()) {
            throw new UnavailableDeviceException("device '" + setting + "' is not auto, cpu, cuda or cuda:N");
        }
        int index = m.group(1) == null ? 0 : Integer.parseInt(m.group(1));
        if (index >= cudaDevices) {
            throw new UnavailableDeviceException("device '" + setting + "' is not there: the PyTorch native library sees "
                    + cudaDevices + " CUDA device(s)" + (cudaDevices == 0 ? " (a CPU build, or no GPU visible to the process)" : ""));
        }
        return Device.gpu(index);
    }
}
