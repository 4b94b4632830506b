package dev.livetune.llm.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;

/**
 * The PyTorch engine of this process and the root of its native memory.
 *
 * <p>PyTorch's native library loads once per JVM, so this starts it once with explicit settings:
 * offline (natives come from the {@code pytorch-native-cpu} jar; nothing is downloaded) and with
 * a thread count that matches the cores the process really has. Everything else takes a
 * {@code TorchRuntime} and allocates below {@link #manager()}.
 */
public final class TorchRuntime implements AutoCloseable {

    private final NDManager manager;
    private final ObjectMapper json;
    private final int threads;
    private final Precision precision;

    private TorchRuntime(NDManager manager, ObjectMapper json, int threads, Precision precision) {
        this.manager = manager;
        this.json = json;
        this.threads = threads;
        this.precision = precision;
    }

    /**
     * @param threads intra-op threads for PyTorch; {@code 0} means the available processors
     * @return a runtime whose manager is a fresh child of the engine's system manager
     */
    public static TorchRuntime start(int threads) {
        return start(threads, null);
    }

    /**
     * @param threads        intra-op threads for PyTorch; {@code 0} means the available processors
     * @param nativeCacheDir where DJL unpacks PyTorch's native libraries on first start (default
     *                       {@code ~/.djl.ai}); containers with a read-only root file system point this
     *                       at a writable volume. Null keeps the default.
     * @return a runtime whose manager is a fresh child of the engine's system manager
     */
    public static TorchRuntime start(int threads, Path nativeCacheDir) {
        return start(threads, nativeCacheDir, "auto");
    }

    /**
     * @param device where to compute ({@link Devices#select}: {@code auto}, {@code cpu}, {@code cuda},
     *               {@code cuda:N})
     * @throws IllegalArgumentException for a device this process does not have
     */
    public static TorchRuntime start(int threads, Path nativeCacheDir, String device) {
        return start(threads, nativeCacheDir, device, "auto");
    }

    /**
     * @param precision the models' number format ({@link Precision#select}: {@code auto},
     *                  {@code float32}, {@code float16})
     * @throws IllegalArgumentException for a device this process does not have, or a precision it
     *                                  cannot compute in
     */
    public static TorchRuntime start(int threads, Path nativeCacheDir, String device, String precision) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        if (nativeCacheDir != null) {
            System.setProperty("ENGINE_CACHE_DIR", nativeCacheDir.toAbsolutePath().toString());
        }
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(n));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        Engine engine = Engine.getEngine("PyTorch");
        // The properties only apply on first initialisation; make a later start's choice take effect too.
        JniUtils.setNumThreads(n);
        ai.djl.Device selected = Devices.select(device, engine.getGpuCount());
        Precision format = Precision.select(precision, selected);
        return new TorchRuntime(engine.newBaseManager(selected), new ObjectMapper(), n, format);
    }

    /** @return the root manager of this runtime; close the runtime to free everything below it */
    public NDManager manager() {
        return manager;
    }

    /** @return the JSON mapper used to read model and adapter files */
    public ObjectMapper json() {
        return json;
    }

    /** @return where this runtime computes */
    public ai.djl.Device device() {
        return manager.getDevice();
    }

    /** @return the number format models loaded in this runtime compute in */
    public Precision precision() {
        return precision;
    }

    /** @return PyTorch intra-op threads */
    public int threads() {
        return threads;
    }

    @Override
    public void close() {
        manager.close();
    }
}
