package dev.livetune.llm.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.llm.model.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * The sampling defaults a model ships in its {@code generation_config.json}, under Hugging Face's
 * names; a request that leaves a parameter out gets the model's value, as transformers' {@code
 * generate()} and vLLM ({@code --generation-config auto}) do. Only keys present in the file count:
 * a model without them keeps the server's own defaults.
 *
 * <p>{@code do_sample: false} makes greedy decoding the default (temperature 0), as in transformers;
 * a request that sets a temperature still samples with it.
 *
 * @param doSample          {@code do_sample}
 * @param temperature       {@code temperature}, {@code >= 0}
 * @param topP              {@code top_p}, in (0, 1]
 * @param topK              {@code top_k}, {@code >= 0} ({@code 0} = off)
 * @param repetitionPenalty {@code repetition_penalty}, {@code > 0}
 * @param maxNewTokens      {@code max_new_tokens}, {@code >= 1}
 */
public record GenerationDefaults(
        Optional<Boolean> doSample,
        OptionalDouble temperature,
        OptionalDouble topP,
        OptionalInt topK,
        OptionalDouble repetitionPenalty,
        OptionalInt maxNewTokens) {

    /** A model that declares no sampling defaults. */
    public static final GenerationDefaults NONE = new GenerationDefaults(Optional.empty(), OptionalDouble.empty(),
            OptionalDouble.empty(), OptionalInt.empty(), OptionalDouble.empty(), OptionalInt.empty());

    private static final String FILE = "generation_config.json";

    /**
     * @param modelDir a Hugging Face model directory
     * @return the defaults of its {@code generation_config.json}; {@link #NONE} when there is no such file
     * @throws ModelFormatException naming the file and key when a value is malformed or out of range
     */
    public static GenerationDefaults read(Path modelDir, ObjectMapper json) {
        Path file = modelDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return NONE;
        }
        JsonNode g;
        try {
            g = json.readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelFormatException(file, "malformed JSON: " + e.getMessage(), e);
        }
        if (g == null || !g.isObject()) {
            throw new ModelFormatException(file, "expected a JSON object");
        }
        Optional<Boolean> doSample = Optional.empty();
        if (present(g, "do_sample")) {
            if (!g.get("do_sample").isBoolean()) {
                throw new ModelFormatException(file, "do_sample must be true or false");
            }
            doSample = Optional.of(g.get("do_sample").asBoolean());
        }
        return new GenerationDefaults(doSample,
                number(file, g, "temperature", 0, false, 100),
                number(file, g, "top_p", 0, true, 1),
                integer(file, g, "top_k", 0),
                number(file, g, "repetition_penalty", 0, true, 100),
                integer(file, g, "max_new_tokens", 1));
    }

    /**
     * Writes these defaults into {@code generation_config.json} of {@code modelDir}, keeping every other
     * key of the file (eos ids and the like); replaced atomically.
     */
    public void writeInto(Path modelDir, ObjectMapper json) throws IOException {
        Path file = modelDir.resolve(FILE);
        ObjectNode g = Files.isRegularFile(file) && json.readTree(file.toFile()) instanceof ObjectNode o ? o
                : json.createObjectNode();
        doSample.ifPresent(v -> g.put("do_sample", v));
        temperature.ifPresent(v -> g.put("temperature", v));
        topP.ifPresent(v -> g.put("top_p", v));
        topK.ifPresent(v -> g.put("top_k", v));
        repetitionPenalty.ifPresent(v -> g.put("repetition_penalty", v));
        maxNewTokens.ifPresent(v -> g.put("max_new_tokens", v));
        Path tmp = modelDir.resolve(FILE + ".tmp");
        json.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), g);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * The temperature of a request that does not set one: the model's, or greedy when the model says
     * {@code do_sample: false}, or {@code fallback}.
     */
    public double temperatureOr(double fallback) {
        if (doSample.isPresent() && !doSample.get()) {
            return 0;
        }
        return temperature.orElse(fallback);
    }

    private static boolean present(JsonNode g, String key) {
        return g.has(key) && !g.get(key).isNull();
    }

    private static OptionalDouble number(Path file, JsonNode g, String key, double min, boolean exclusive, double max) {
        if (!present(g, key)) {
            return OptionalDouble.empty();
        }
        JsonNode v = g.get(key);
        double d = v.asDouble();
        boolean aboveMin = exclusive ? d > min : d >= min;
        if (!v.isNumber() || !aboveMin || d > max) {
            throw new ModelFormatException(file, key + " must be a number in " + (exclusive ? "(" : "[") + min + ", " + max
                    + "], got " + v);
        }
        return OptionalDouble.of(d);
    }

    private static OptionalInt integer(Path file, JsonNode g, String key, int min) {
        if (!present(g, key)) {
            return OptionalInt.empty();
        }
        JsonNode v = g.get(key);
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min) {
            throw new ModelFormatException(file, key + " must be an integer >= " + min + ", got " + v);
        }
        return OptionalInt.of(v.asInt());
    }
}
