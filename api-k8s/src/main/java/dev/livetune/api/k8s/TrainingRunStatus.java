package dev.livetune.api.k8s;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.PrinterColumn;
import io.fabric8.generator.annotation.Pattern;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Where a training run stands, as the operator last saw it. */
public class TrainingRunStatus {

    public static final String PENDING = "Pending";
    public static final String RUNNING = "Running";
    public static final String SUCCEEDED = "Succeeded";
    public static final String FAILED = "Failed";

    /** Pending, Running, Succeeded or Failed. */
    @PrinterColumn(name = "Phase")
    @Pattern("^(Pending|Running|Succeeded|Failed)$")
    @JsonPropertyDescription("Pending, Running, Succeeded or Failed.")
    public String phase;

    @JsonPropertyDescription("Kubernetes conditions, one per type: 'Succeeded' (Unknown while it runs, then True or False with the reason).")
    public List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("The spec generation this status was computed for.")
    public Long observedGeneration;

    /** The current attempt's Job. */
    @JsonPropertyDescription("The Job of the current (or last) attempt.")
    public String jobName;

    @PrinterColumn(name = "Attempts")
    @JsonPropertyDescription("Attempts started so far.")
    public int attempts;

    /** The adapter's directory and the sha256 of its weights, once succeeded. */
    @JsonPropertyDescription("The trained adapter's directory in the artifact store, once succeeded.")
    public String adapterUri;

    @JsonPropertyDescription("The sha256 of the trained adapter's weights (adapter_model.safetensors), once succeeded.")
    public String adapterSha256;

    /** From the trainer's manifest, {@code AdapterManifest} (loss, steps, seconds …). */
    @JsonPropertyDescription("From the trainer's manifest: final loss, steps, seconds and the like.")
    public Map<String, String> metrics = new LinkedHashMap<>();

    /** From the trainer's {@code eval.json} (recall on new and retention probes). */
    @JsonPropertyDescription("From the trainer's eval.json: recall on the new knowledge's and the retention probes.")
    public Map<String, String> eval = new LinkedHashMap<>();

    @JsonPropertyDescription("What is happening or went wrong, for people.")
    public String message;
}
