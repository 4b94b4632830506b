package dev.livetune.api.k8s;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.PrinterColumn;
import io.fabric8.generator.annotation.Pattern;
import java.util.ArrayList;
import java.util.List;

/** How far a release has got. */
public class AdapterReleaseStatus {

    public static final String PENDING = "Pending";
    public static final String LIVE = "Live";
    public static final String DEGRADED = "Degraded";

    /** Pending (no ready replica), Live or Degraded. */
    @PrinterColumn(name = "Phase")
    @Pattern("^(Pending|Live|Degraded)$")
    @JsonPropertyDescription("Pending (no replica serves it yet), Live (every replica serves it) or Degraded (some do not).")
    public String phase;

    @PrinterColumn(name = "Replicas")
    @JsonPropertyDescription("Inference replicas serving the version.")
    public int readyReplicas;

    @PrinterColumn(name = "Target")
    @JsonPropertyDescription("Inference replicas that must serve it.")
    public int targetReplicas;

    /** The version live on every replica (after a failed rollout: the one still served). */
    @JsonPropertyDescription("The version live on every replica (after a failed rollout: the one still served).")
    public Integer liveVersion;

    @JsonPropertyDescription("Kubernetes conditions, one per type: 'Ready' (True once every replica serves the version).")
    public List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("The spec generation this status was computed for.")
    public Long observedGeneration;

    @JsonPropertyDescription("What is happening or went wrong, for people.")
    public String message;
}
