package dev.livetune.api.artifact;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;

/**
 * A version's probe results, {@value ArtifactLayout#EVAL_REPORT}, written by the trainer when it was
 * given probes: the fraction of each kind of probe the version answered. Kinds: {@code new} (what the
 * job taught, held-out forms), {@code retention} (every earlier item, asked as taught), {@code
 * general} (the base model's small talk), {@code paraphrase} (earlier items in held-out forms,
 * reported, not gated), {@code forgotten} (what a forget job removes: should be 0). A kind the job
 * had no probes of is absent. The per-probe answers are in the file too.
 *
 * @param recall kind → fraction answered, 0 to 1
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record EvalReport(Map<String, Double> recall) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public EvalReport {
        recall = recall == null ? Map.of() : new TreeMap<>(recall);
    }

    /** @throws IOException when the version has no readable report */
    public static EvalReport read(Path dir) throws IOException {
        return JSON.readValue(dir.resolve(ArtifactLayout.EVAL_REPORT).toFile(), EvalReport.class);
    }

    /** @return the fraction of the kind's probes answered; empty when the job had none of that kind */
    public OptionalDouble of(String kind) {
        Double v = recall.get(kind);
        return v == null ? OptionalDouble.empty() : OptionalDouble.of(v);
    }
}
