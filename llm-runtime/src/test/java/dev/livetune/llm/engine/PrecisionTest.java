package dev.livetune.llm.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

class PrecisionTest {

    @Test
    void autoIsHalfOnAGpuAndFloat32OnTheCpu() {
        assertThat(Precision.select("auto", Device.gpu(0))).isEqualTo(Precision.FLOAT16);
        assertThat(Precision.select(null, Device.gpu(1))).isEqualTo(Precision.FLOAT16);
        assertThat(Precision.select("auto", Device.cpu())).isEqualTo(Precision.FLOAT32);
    }

    @Test
    void anExplicitPrecisionIsTakenOnEitherDevice() {
        assertThat(Precision.select("float32", Device.gpu(0))).isEqualTo(Precision.FLOAT32);
        assertThat(Precision.select("FP32", Device.cpu())).isEqualTo(Precision.FLOAT32);
        assertThat(Precision.select("float16", Device.cpu())).isEqualTo(Precision.FLOAT16);
        assertThat(Precision.select(" half ", Device.gpu(0))).isEqualTo(Precision.FLOAT16);
        assertThat(Precision.FLOAT16.settingName()).isEqualTo("float16");
    }

    @Test
    void bfloat16AndUnknownFormatsAreRefusedSayingWhy() {
        assertThatThrownBy(() -> Precision.select("bf16", Device.gpu(0)))
                .isInstanceOf(Precision.UnsupportedPrecisionException.class)
                .hasMessageContaining("aborts the process on conversions to or from bfloat16");
        assertThatThrownBy(() -> Precision.select("int4", Device.cpu()))
                .hasMessageContaining("not auto, float32 or float16");
    }

    @Test
    void theRuntimeCarriesItsPrecisionToTheModelsItLoads() {
        try (TorchRuntime rt = TorchRuntime.start(1, null, "cpu", "auto")) {
            assertThat(rt.precision()).isEqualTo(Precision.FLOAT32);
        }
        try (TorchRuntime rt = TorchRuntime.start(1, null, "cpu", "float16")) {
            assertThat(rt.precision()).isEqualTo(Precision.FLOAT16);
        }
        assertThatThrownBy(() -> TorchRuntime.start(1, null, "cpu", "bfloat16"))
                .isInstanceOf(Precision.UnsupportedPrecisionException.class);
    }
}
