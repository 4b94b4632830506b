package dev.livetune.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The Hugging Face reference fixtures copied into test resources (see their README). */
public final class Fixtures {

    public static final List<String> MODELS =
            List.of("llama-gqa", "llama3-ropescaled-tied", "qwen2-bias-tied", "qwen3-qknorm");

    private Fixtures() {
    }

    /** Every fixture model, once without and once with its adapter, for parameterized tests. */
    public static List<org.junit.jupiter.params.provider.Arguments> modelsWithAndWithoutAdapter() {
        List<org.junit.jupiter.params.provider.Arguments> out = new ArrayList<>();
        for (String m : MODELS) {
            out.add(org.junit.jupiter.params.provider.Arguments.of(m, false));
            out.add(org.junit.jupiter.params.provider.Arguments.of(m, true));
        }
        return out;
    }

    public static Path dir(String model) {
        return Path.of("src/test/resources/hf-reference", model);
    }

    public static Path adapter(String model) {
        return dir(model).resolve("adapter");
    }

    /** One reference case: an unpadded sequence and what transformers computed for it. */
    public record Case(int[] inputIds, double[][] logits, int[] greedyNewTokens, double[] greedyTop2Margins) {
    }

    public static List<Case> cases(String model, boolean withAdapter) {
        Path file = dir(model).resolve(withAdapter ? "reference_adapter.json" : "reference.json");
        try {
            JsonNode root = new ObjectMapper().readTree(file.toFile());
            List<Case> out = new ArrayList<>();
            for (JsonNode c : root.get("cases")) {
                JsonNode rows = c.get("logits_all_positions");
                double[][] logits = new double[rows.size()][];
                for (int i = 0; i < rows.size(); i++) {
                    logits[i] = doubles(rows.get(i));
                }
                out.add(new Case(ints(c.get("input_ids")), logits, ints(c.get("greedy_new_tokens")),
                        doubles(c.get("greedy_top2_margins"))));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    public static double[] doubles(JsonNode a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asDouble();
        }
        return out;
    }

    /** ‖out − ref‖ / ‖ref‖. */
    public static double relativeError(float[] out, double[] ref) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < ref.length; i++) {
            double d = out[i] - ref[i];
            diff += d * d;
            norm += ref[i] * ref[i];
        }
        return Math.sqrt(diff) / Math.sqrt(norm);
    }
}
