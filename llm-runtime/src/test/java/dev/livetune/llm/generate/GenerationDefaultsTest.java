package dev.livetune.llm.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.llm.model.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerationDefaultsTest {

    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path dir;

    private GenerationDefaults read(String generationConfig) throws IOException {
        Files.writeString(dir.resolve("generation_config.json"), generationConfig);
        return GenerationDefaults.read(dir, json);
    }

    @Test
    void readsHuggingFaceSamplingKeys() throws IOException {
        // Qwen2.5-0.5B-Instruct's generation_config.json
        GenerationDefaults d = read("""
                {"bos_token_id": 151643, "pad_token_id": 151643, "do_sample": true, "eos_token_id": [151645, 151643],
                 "repetition_penalty": 1.1, "temperature": 0.7, "top_p": 0.8, "top_k": 20,
                 "transformers_version": "4.37.0"}""");

        assertThat(d).isEqualTo(new GenerationDefaults(Optional.of(true), OptionalDouble.of(0.7), OptionalDouble.of(0.8),
                OptionalInt.of(20), OptionalDouble.of(1.1), OptionalInt.empty()));
        assertThat(d.temperatureOr(1.0)).isEqualTo(0.7);
    }

    @Test
    void keysThatAreAbsentOrNullLeaveTheServersDefaults() throws IOException {
        GenerationDefaults d = read("{\"eos_token_id\": 2, \"top_k\": null}");

        assertThat(d).isEqualTo(GenerationDefaults.NONE);
        assertThat(d.temperatureOr(1.0)).isEqualTo(1.0);
        assertThat(GenerationDefaults.read(dir.resolve("no-such-model"), json)).isEqualTo(GenerationDefaults.NONE);
    }

    @Test
    void doSampleFalseMakesGreedyTheDefaultWhateverTheTemperature() throws IOException {
        assertThat(read("{\"do_sample\": false, \"temperature\": 0.6}").temperatureOr(1.0)).isZero();
    }

    @Test
    void malformedValuesNameTheFileAndKey() {
        assertThatThrownBy(() -> read("{\"top_p\": 0}")).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("generation_config.json").hasMessageContaining("top_p");
        assertThatThrownBy(() -> read("{\"temperature\": \"hot\"}")).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("temperature");
        assertThatThrownBy(() -> read("{\"max_new_tokens\": 0}")).hasMessageContaining("max_new_tokens");
        assertThatThrownBy(() -> read("{\"do_sample\": \"yes\"}")).hasMessageContaining("do_sample");
        assertThatThrownBy(() -> read("[1]")).hasMessageContaining("JSON object");
    }

    @Test
    void writeIntoKeepsTheFilesOtherKeysAndReadsBackTheSame() throws IOException {
        Files.writeString(dir.resolve("generation_config.json"), "{\"bos_token_id\": 1, \"eos_token_id\": [2, 3]}");
        GenerationDefaults d = new GenerationDefaults(Optional.of(true), OptionalDouble.of(0.3), OptionalDouble.of(0.9),
                OptionalInt.empty(), OptionalDouble.empty(), OptionalInt.of(120));

        d.writeInto(dir, json);

        assertThat(GenerationDefaults.read(dir, json)).isEqualTo(d);
        var written = json.readTree(dir.resolve("generation_config.json").toFile());
        assertThat(written.get("eos_token_id").toString()).isEqualTo("[2,3]");
        assertThat(written.get("bos_token_id").asInt()).isEqualTo(1);
        assertThat(Files.exists(dir.resolve("generation_config.json.tmp"))).isFalse();
    }
}
