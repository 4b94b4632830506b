package dev.livetune.api.k8s;

import io.fabric8.crd.generator.annotation.PrinterColumn;
import java.util.ArrayList;
import java.util.List;

/** How far a release has got. */
public class AdapterReleaseStatus {

    public static final String PENDING = "Pending";
    public static final String LIVE = "Live";
    public static final String DEGRADED = "Degraded";

    /** Pending (no ready replica), Live or Degraded. */
    @PrinterColumn(name = "Phase")
    public String phase;

    @PrinterColumn(name = "Ready")
    public int readyReplicas;

    @PrinterColumn(name = "Target")
    public int targetReplicas;

    /** The version live on every replica (after a failed rollout: the one still served). */
    public Integer liveVersion;

    public List<Condition> conditions = new ArrayList<>();

    public Long observedGeneration;

    public String message;
}
