package dev.livetune.api.k8s;

import io.fabric8.crd.generator.annotation.PrinterColumn;
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
    public String phase;

    public List<Condition> conditions = new ArrayList<>();

    public Long observedGeneration;

    /** The current attempt's Job. */
    public String jobName;

    @PrinterColumn(name = "Attempts")
    public int attempts;

    /** The adapter's directory and the sha256 of its weights, once succeeded. */
    public String adapterUri;

    public String adapterSha256;

    /** From the trainer's manifest, {@code AdapterManifest} (loss, steps, seconds …). */
    public Map<String, String> metrics = new LinkedHashMap<>();

    /** From the trainer's {@code eval.json} (recall on new and retention probes). */
    public Map<String, String> eval = new LinkedHashMap<>();

    public String message;
}
