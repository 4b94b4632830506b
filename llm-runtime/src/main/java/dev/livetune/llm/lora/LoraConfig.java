package dev.livetune.llm.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.llm.model.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The parts of a PEFT {@code adapter_config.json} that change what a LoRA adapter computes.
 *
 * @param rank          {@code r}
 * @param alpha         {@code lora_alpha}
 * @param useRsLora     {@code use_rslora}: scale by {@code alpha / sqrt(r)} instead of {@code alpha / r}
 * @param targetModules {@code target_modules} as a list of module-name suffixes, or empty when a regex is used
 * @param targetRegex   {@code target_modules} given as a string: a regex matched against the full module path
 */
public record LoraConfig(int rank, double alpha, boolean useRsLora, List<String> targetModules, Pattern targetRegex) {

    public LoraConfig {
        targetModules = List.copyOf(targetModules);
    }

    /** @return the factor applied to {@code (xA)B}: {@code alpha/r}, or {@code alpha/sqrt(r)} with rsLoRA */
    public double scale() {
        return useRsLora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    /**
     * @param modulePath a module path as PEFT sees it, e.g. {@code model.layers.3.self_attn.q_proj}
     * @return whether PEFT would have wrapped that module
     */
    public boolean targets(String modulePath) {
        if (targetRegex != null) {
            return targetRegex.matcher(modulePath).matches();
        }
        for (String t : targetModules) {
            if (modulePath.equals(t) || modulePath.endsWith("." + t)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Reads and checks {@code adapter_config.json}.
     *
     * @throws ModelFormatException when malformed, or when it asks for something the runtime does not compute
     */
    public static LoraConfig read(Path file, ObjectMapper json) {
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file, "file not found");
        }
        JsonNode c;
        try {
            c = json.readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelFormatException(file, "malformed JSON: " + e.getMessage(), e);
        }
        String type = c.path("peft_type").asText("LORA");
        if (!type.equals("LORA")) {
            throw new ModelFormatException(file, "peft_type '" + type + "' is not supported (only LORA)");
        }
        rejectIfSet(file, c, "rank_pattern", "per-module ranks");
        rejectIfSet(file, c, "alpha_pattern", "per-module alphas");
        rejectIfSet(file, c, "modules_to_save", "fully trained extra modules");
        rejectIfSet(file, c, "layer_replication", "layer replication");
        rejectIfSet(file, c, "target_parameters", "LoRA on raw parameters");
        rejectIfTrue(file, c, "use_dora", "DoRA");
        rejectIfTrue(file, c, "lora_bias", "LoRA bias");
        rejectIfTrue(file, c, "fan_in_fan_out", "fan_in_fan_out (Conv1D) layers");
        String bias = c.path("bias").asText("none");
        if (!bias.equals("none")) {
            throw new ModelFormatException(file, "bias '" + bias + "' is not supported (only 'none')");
        }
        int r = c.path("r").asInt(0);
        if (r <= 0) {
            throw new ModelFormatException(file, "'r' must be a positive integer");
        }
        double alpha = c.path("lora_alpha").asDouble(r);
        JsonNode targets = c.path("target_modules");
        List<String> list = new ArrayList<>();
        Pattern regex = null;
        if (targets.isArray()) {
            targets.forEach(t -> list.add(t.asText()));
        } else if (targets.isTextual()) {
            try {
                regex = Pattern.compile(targets.asText());
            } catch (RuntimeException e) {
                throw new ModelFormatException(file, "target_modules is not a valid regex: " + e.getMessage(), e);
            }
        } else {
            throw new ModelFormatException(file, "'target_modules' must be a list of names or a regex string");
        }
        return new LoraConfig(r, alpha, c.path("use_rslora").asBoolean(false), list, regex);
    }

    private static void rejectIfSet(Path file, JsonNode c, String key, String what) {
        JsonNode v = c.get(key);
        if (v != null && !v.isNull() && !(v.isContainerNode() && v.isEmpty())) {
            throw new ModelFormatException(file, "'" + key + "' (" + what + ") is not supported");
        }
    }

    private static void rejectIfTrue(Path file, JsonNode c, String key, String what) {
        if (c.path(key).asBoolean(false)) {
            throw new ModelFormatException(file, "'" + key + "' (" + what + ") is not supported");
        }
    }
}
