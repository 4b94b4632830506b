package dev.livetune.llm.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config.json of real checkpoints (4.x form) read as their architectures require. */
class RealConfigTest {

    @TempDir
    Path tmp;

    private ModelConfig read(String name) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.copy(Path.of("src/test/resources/real-configs", name + ".json"), dir.resolve("config.json"));
        return new ModelConfigReader(new ObjectMapper()).read(dir);
    }

    @Test
    void tinyLlama() throws IOException {
        ModelConfig c = read("tinyllama-1.1b-chat");
        assertThat(c.family()).isEqualTo(ModelFamily.LLAMA);
        assertThat(c.headDim()).isEqualTo(64);
        assertThat(c.queriesPerKv()).isEqualTo(8);
        assertThat(c.tieWordEmbeddings()).isFalse();
        assertThat(c.rope()).isEqualTo(RopeConfig.plain(10000));
        assertThat(c.parameterCount()).isBetween(1_090_000_000L, 1_110_000_000L);
    }

    @Test
    void llama32WithLlama3RopeScalingAndSeveralEosIds() throws IOException {
        ModelConfig c = read("llama-3.2-1b-instruct");
        assertThat(c.rope()).isEqualTo(new RopeConfig(500000, "llama3", 32, 1, 4, 8192));
        assertThat(c.eosTokenIds()).containsExactly(128001, 128008, 128009);
        assertThat(c.tieWordEmbeddings()).isTrue();
        assertThat(c.parameterCount()).isBetween(1_230_000_000L, 1_240_000_000L);
        double[] inv = c.rope().inverseFrequencies(c.headDim());
        // Long wavelengths are divided by the factor, short ones kept.
        assertThat(inv[0]).isEqualTo(1.0);
        assertThat(inv[inv.length - 1]).isCloseTo(Math.pow(500000, -62.0 / 64) / 32, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void qwen25WithQkvBiasAndUnusedSlidingWindow() throws IOException {
        ModelConfig c = read("qwen2.5-0.5b-instruct");
        assertThat(c.family()).isEqualTo(ModelFamily.QWEN2);
        assertThat(c.qkvBias()).isTrue();
        assertThat(c.headDim()).isEqualTo(64);
        assertThat(c.parameterCount()).isBetween(490_000_000L, 500_000_000L);
    }

    @Test
    void qwen3WithIndependentHeadDim() throws IOException {
        ModelConfig c = read("qwen3-0.6b");
        assertThat(c.family()).isEqualTo(ModelFamily.QWEN3);
        assertThat(c.headDim()).isEqualTo(128);
        assertThat(c.numHeads() * c.headDim()).isNotEqualTo(c.hiddenSize());
        assertThat(c.parameterCount()).isBetween(590_000_000L, 600_000_000L);
    }

    @Test
    void smolLm2() throws IOException {
        ModelConfig c = read("smollm2-135m-instruct");
        assertThat(c.headDim()).isEqualTo(64);
        assertThat(c.numKvHeads()).isEqualTo(3);
        assertThat(c.parameterCount()).isBetween(134_000_000L, 135_000_000L);
    }
}
