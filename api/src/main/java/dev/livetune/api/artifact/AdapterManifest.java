package dev.livetune.api.artifact;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * An adapter version's manifest, {@value ArtifactLayout#ADAPTER_MANIFEST}, as its readers need it:
 * what the trainer made ({@code lora} or {@code full}), the sha256 of every file it wrote (the
 * manifest itself aside), its training metrics and its recall scores. The trainer writes more (the
 * base model's and dataset's fingerprints, the loss curve, hyperparameters); readers that want it
 * read the JSON.
 *
 * @param schemaVersion 1
 * @param kind          {@code lora} (a PEFT adapter) or {@code full} (a whole model)
 * @param files         file name → lower-case hex sha256
 * @param metrics       steps, tokens, final_loss, train_seconds … (numbers and a curve)
 * @param eval          the recall scores of {@link EvalReport}, or null without probes
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AdapterManifest(@JsonProperty("schema_version") int schemaVersion, String kind, Map<String, String> files,
        JsonNode metrics, Map<String, Double> eval) {

    /** The PEFT weights every adapter has, whose sha256 a release names. */
    public static final String WEIGHTS = "adapter_model.safetensors";
    /** The PEFT configuration every adapter has. */
    public static final String CONFIG = "adapter_config.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    public AdapterManifest {
        files = files == null ? Map.of() : new TreeMap<>(files);
    }

    /**
     * @param dir an adapter version's directory
     * @throws IOException when there is no readable manifest in it
     */
    public static AdapterManifest read(Path dir) throws IOException {
        return JSON.readValue(dir.resolve(ArtifactLayout.ADAPTER_MANIFEST).toFile(), AdapterManifest.class);
    }

    /** @return the sha256 of the adapter's weights, or null when the manifest does not list them */
    public String weightsSha256() {
        return files.get(WEIGHTS);
    }
}
