package dev.livetune.llm.cli;

import dev.livetune.llm.engine.TorchRuntime;
import picocli.CommandLine.Option;

/** Options every command shares. */
final class RuntimeOptions {

    @Option(names = "--threads", defaultValue = "0",
            description = "PyTorch intra-op threads (default: available processors)")
    int threads;

    TorchRuntime start() {
        return TorchRuntime.start(threads);
    }
}
