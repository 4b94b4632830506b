package dev.livetune.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {

    @Test
    void defaultsSuitALaptop() {
        Settings s = Settings.from(Map.of());
        assertThat(s.host()).isEqualTo("127.0.0.1");
        assertThat(s.httpPort()).isEqualTo(8080);
        assertThat(s.grpcPort()).isEqualTo(9001);
        assertThat(s.dataDir()).isEqualTo(Path.of(System.getProperty("user.home"), ".livetune"));
        assertThat(s.apiKey()).isEmpty();
        assertThat(s.modelDir()).isEmpty();
        assertThat(s.otlpEndpoint()).as("no tracing").isEmpty();
        assertThat(s.httpUrl()).isEqualTo("http://127.0.0.1:8080");
    }

    @Test
    void theEnvironmentOverridesEachDefault(@TempDir Path tmp) throws Exception {
        Path model = Files.createDirectories(tmp.resolve("model"));
        Files.writeString(model.resolve("config.json"), "{}");
        Settings s = Settings.from(Map.of("LIVETUNE_HTTP_PORT", "18080", "LIVETUNE_GRPC_PORT", "19001", "LIVETUNE_DATA_DIR",
                tmp.resolve("data").toString(), "LIVETUNE_API_KEY", "lt-key", "LIVETUNE_MODEL_DIR", model.toString(),
                "LIVETUNE_HOST", "0.0.0.0", "LIVETUNE_OTLP_ENDPOINT", "http://localhost:4318"));
        assertThat(s.httpPort()).isEqualTo(18080);
        assertThat(s.grpcPort()).isEqualTo(19001);
        assertThat(s.dataDir()).isEqualTo(tmp.resolve("data"));
        assertThat(s.apiKey()).contains("lt-key");
        assertThat(s.modelDir()).contains(model);
        assertThat(s.clientHost()).as("a wildcard bind is reached on loopback").isEqualTo("127.0.0.1");
        assertThat(s.otlpEndpoint()).contains("http://localhost:4318");
    }

    @Test
    void unusableValuesAreRefusedNamingTheVariable(@TempDir Path tmp) {
        assertThatThrownBy(() -> Settings.from(Map.of("LIVETUNE_HTTP_PORT", "eighty")))
                .isInstanceOf(Settings.Invalid.class).hasMessageContaining("LIVETUNE_HTTP_PORT=eighty");
        assertThatThrownBy(() -> Settings.from(Map.of("LIVETUNE_GRPC_PORT", "70000")))
                .isInstanceOf(Settings.Invalid.class).hasMessageContaining("LIVETUNE_GRPC_PORT");
        assertThatThrownBy(() -> Settings.from(Map.of("LIVETUNE_HTTP_PORT", "9001")))
                .isInstanceOf(Settings.Invalid.class).hasMessageContaining("must differ");
        assertThatThrownBy(() -> Settings.from(Map.of("LIVETUNE_MODEL_DIR", tmp.toString())))
                .isInstanceOf(Settings.Invalid.class).hasMessageContaining("no config.json");
        assertThatThrownBy(() -> Settings.from(Map.of("LIVETUNE_TRAINER_JAR", tmp.resolve("none.jar").toString())))
                .isInstanceOf(Settings.Invalid.class).hasMessageContaining("LIVETUNE_TRAINER_JAR");
        assertThatThrownBy(() -> Settings.from(Map.of("LIVETUNE_OTLP_ENDPOINT", "localhost:4317")))
                .isInstanceOf(Settings.Invalid.class).hasMessageContaining("LIVETUNE_OTLP_ENDPOINT=localhost:4317");
    }
}
