package dev.livetune.llm;

import dev.livetune.llm.engine.TorchRuntime;

/**
 * The PyTorch runtime the tests share: PyTorch loads once per process anyway, and every test
 * allocates below its manager and closes what it allocates.
 */
public final class TestRuntime {

    private static final TorchRuntime SHARED = TorchRuntime.start(2);

    private TestRuntime() {
    }

    public static TorchRuntime shared() {
        return SHARED;
    }
}
