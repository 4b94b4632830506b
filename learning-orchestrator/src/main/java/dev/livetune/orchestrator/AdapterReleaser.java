package dev.livetune.orchestrator;

/**
 * The port through which a version goes live: {@link InferenceReleaser} asks the one inference-service
 * (standalone); {@link KubernetesReleaser} sets the alias's {@code AdapterRelease}, which the
 * training-operator rolls out to every replica. Returns only when the version serves; releasing the
 * same version twice is harmless.
 */
public interface AdapterReleaser {

    /** @throws JobFailure when the version cannot be made live */
    void release(String tenant, String alias, int version);
}
