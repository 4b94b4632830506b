package dev.livetune.llm.cli;

import dev.livetune.llm.engine.TorchRuntime;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every command shares. */
final class RuntimeOptions {

    @Option(names = "--threads", defaultValue = "0",
            description = "PyTorch intra-op threads (default: available processors)")
    int threads;

    @Option(names = "--native-cache", description = "where PyTorch's native libraries are unpacked (default ~/.djl.ai)")
    Path nativeCache;

    @Option(names = "--device", defaultValue = "auto",
            description = "auto (CUDA when PyTorch sees a GPU, else CPU), cpu, cuda or cuda:N")
    String device;

    TorchRuntime start() {
        return TorchRuntime.start(threads, nativeCache, device);
    }
}
