package dev.livetune.api.k8s;

import io.fabric8.crd.generator.annotation.PrinterColumn;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What to train. Paths are relative to the artifact store (the volume mounted in the trainer's pod
 * and the operator at the same place), e.g. {@code tenants/acme/datasets/ftjob-1/train.jsonl}.
 */
public class TrainingRunSpec {

    @PrinterColumn(name = "Tenant")
    public String tenant;

    /** The adapter alias, e.g. {@code default}. */
    @PrinterColumn(name = "Adapter")
    public String adapter;

    /** The version this run produces. */
    public int version;

    /** The base model directory (on the model volume). */
    public String baseModel;

    public Artifact dataset;

    public String replay;

    public String probes;

    /** The adapter version to continue from, or null to start fresh. */
    public String parentAdapter;

    /** Where the adapter goes: the version's directory ({@code ArtifactLayout.versionUri}). */
    public String output;

    /** {@code hyper.json} for the trainer, by its Hugging Face names; values as JSON literals. */
    public Map<String, String> hyperparameters = new LinkedHashMap<>();

    public Resources resources = new Resources();

    /** Wall-clock limit of one attempt ({@code activeDeadlineSeconds}). */
    public long deadlineSeconds = 7200;

    /** Attempts for transient failures (the Job's {@code backoffLimit} + 1). */
    public int maxAttempts = 3;

    /** A file in the store and its sha256. */
    public static class Artifact {
        public String uri;
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
        public int gpus;
        public String cpu = "2";
        public String memory = "8Gi";
    }
}
