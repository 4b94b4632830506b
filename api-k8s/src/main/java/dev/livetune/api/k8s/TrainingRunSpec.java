package dev.livetune.api.k8s;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.PrinterColumn;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What to train. Paths are relative to the artifact store (the volume mounted in the trainer's pod
 * and the operator at the same place), e.g. {@code tenants/acme/datasets/ftjob-1/train.jsonl}.
 */
@com.fasterxml.jackson.annotation.JsonClassDescription("What to train.")
public class TrainingRunSpec {

    /** What {@code tenant} and {@code adapter} must look like (also a valid label value). */
    public static final String NAME = "^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$";
    /** A sha256 in hex. */
    public static final String SHA256 = "^[0-9a-f]{64}$";

    @PrinterColumn(name = "Tenant")
    @Required
    @Pattern(NAME)
    @JsonPropertyDescription("The tenant whose adapter this run trains (lower case, digits, '-_.', 1 to 63 characters).")
    public String tenant;

    /** The adapter alias, e.g. {@code default}. */
    @PrinterColumn(name = "Adapter")
    @Required
    @Pattern(NAME)
    @JsonPropertyDescription("The adapter alias this run trains a version of, e.g. 'default'.")
    public String adapter;

    /** The version this run produces. */
    @Required
    @Min(1)
    @JsonPropertyDescription("The adapter version this run produces (1 and up).")
    public int version;

    /** The base model directory (on the model volume). */
    @Required
    @JsonPropertyDescription("The base model's directory, on the model volume mounted in the trainer's pod.")
    public String baseModel;

    @Required
    @JsonPropertyDescription("The training data (chat-format JSONL) in the artifact store, with its sha256.")
    public Artifact dataset;

    @JsonPropertyDescription("Samples of earlier versions' data mixed into the run (JSONL, store-relative); none when empty.")
    public String replay;

    @JsonPropertyDescription("Held-out probe questions the trainer scores the new version on (JSON, store-relative); none when empty.")
    public String probes;

    /** The adapter version to continue from, or null to start fresh. */
    @JsonPropertyDescription("The adapter version directory to continue from (store-relative); a fresh adapter when empty.")
    public String parentAdapter;

    /** Where the adapter goes: the version's directory ({@code ArtifactLayout.versionUri}). */
    @Required
    @JsonPropertyDescription("Where the trained adapter goes: the version's directory in the artifact store; must not exist yet.")
    public String output;

    /** {@code hyper.json} for the trainer, by its Hugging Face names; values as JSON literals. */
    @JsonPropertyDescription("Trainer hyperparameters by their Hugging Face names (e.g. learning_rate, max_steps); values are JSON literals.")
    public Map<String, String> hyperparameters = new LinkedHashMap<>();

    @JsonPropertyDescription("What the trainer's pod asks for.")
    public Resources resources = new Resources();

    /** Wall-clock limit of one attempt ({@code activeDeadlineSeconds}). */
    @Min(1)
    @JsonPropertyDescription("Wall-clock limit of one attempt in seconds (the Job's activeDeadlineSeconds). Default 7200.")
    public long deadlineSeconds = 7200;

    /** Attempts for transient failures (the Job's {@code backoffLimit} + 1). */
    @Min(1)
    @JsonPropertyDescription("Attempts in all for transient failures (the Job's backoffLimit + 1). Default 3.")
    public int maxAttempts = 3;

    /** A file in the store and its sha256. */
    public static class Artifact {
        @Required
        @JsonPropertyDescription("The file's path, relative to the artifact store's root.")
        public String uri;
        @Required
        @Pattern(SHA256)
        @JsonPropertyDescription("The file's sha256 (hex); the trainer refuses a file that does not match.")
        public String sha256;

        public Artifact() {
        }

        public Artifact(String uri, String sha256) {
            this.uri = uri;
            this.sha256 = sha256;
        }
    }

    /** What the trainer's pod asks for. */
    public static class Resources {
        @Min(0)
        @JsonPropertyDescription("nvidia.com/gpu the pod requests (0: CPU only; the pod then avoids the GPU pool).")
        public int gpus;
        @JsonPropertyDescription("CPU request and limit, as a Kubernetes quantity (e.g. '2', '500m'). Default 2.")
        public String cpu = "2";
        @JsonPropertyDescription("Memory request and limit, as a Kubernetes quantity (e.g. '8Gi'). Default 8Gi.")
        public String memory = "8Gi";
    }
}
