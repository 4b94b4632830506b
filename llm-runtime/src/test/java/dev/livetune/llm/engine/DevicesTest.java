package dev.livetune.llm.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import org.junit.jupiter.api.Test;

class DevicesTest {

    @Test
    void autoTakesTheFirstCudaDeviceWhenThereIsOneElseTheCpu() {
        assertThat(Devices.select("auto", 0)).isEqualTo(Device.cpu());
        assertThat(Devices.select("auto", 2)).isEqualTo(Device.gpu(0));
        assertThat(Devices.select(null, 1)).isEqualTo(Device.gpu(0));
    }

    @Test
    void anExplicitDeviceIsTakenWhenItIsThere() {
        assertThat(Devices.select("cpu", 4)).isEqualTo(Device.cpu());
        assertThat(Devices.select("CUDA", 1)).isEqualTo(Device.gpu(0));
        assertThat(Devices.select("cuda:1", 2)).isEqualTo(Device.gpu(1));
    }

    @Test
    void aDeviceThatIsNotThereOrNotADeviceIsRefusedSayingWhy() {
        assertThatThrownBy(() -> Devices.select("cuda", 0)).isInstanceOf(Devices.UnavailableDeviceException.class)
                .hasMessageContaining("sees 0 CUDA device(s) (a CPU build");
        assertThatThrownBy(() -> Devices.select("cuda:2", 2)).hasMessageContaining("sees 2 CUDA device(s)");
        assertThatThrownBy(() -> Devices.select("tpu", 8)).hasMessageContaining("not auto, cpu, cuda or cuda:N");
    }

    /** This build ships PyTorch's CPU library: auto computes on the CPU, and cuda is refused at start. */
    @Test
    void theRuntimeComputesWhereTheSettingSays() {
        try (TorchRuntime rt = TorchRuntime.start(1, null, "auto")) {
            assertThat(rt.device()).isEqualTo(Device.cpu());
            NDArray x = rt.manager().ones(new ai.djl.ndarray.types.Shape(2, 2));
            assertThat(x.getDevice()).isEqualTo(Device.cpu());
        }
        try (TorchRuntime rt = TorchRuntime.start(1, null, "cpu")) {
            assertThat(rt.device()).isEqualTo(Device.cpu());
        }
        assertThatThrownBy(() -> TorchRuntime.start(1, null, "cuda")).isInstanceOf(Devices.UnavailableDeviceException.class);
    }
}
