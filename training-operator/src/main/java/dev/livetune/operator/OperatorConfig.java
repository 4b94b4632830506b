package dev.livetune.operator;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@code livetune.operator.*} (environment: {@code LIVETUNE_OPERATOR_*}). */
@ConfigMapping(prefix = "livetune.operator")
public interface OperatorConfig {

    /** The namespace whose TrainingRuns and AdapterReleases this operator reconciles; unset: its own. */
    Optional<String> namespace();

    /** The trainer image; its entrypoint runs {@code java -jar trainer.jar}. */
    @WithDefault("livetune/trainer:0.1.0")
    String trainerImage();

    @WithDefault("IfNotPresent")
    String trainerImagePullPolicy();

    /** PVC holding base models (mounted read-only at /models in training pods). */
    @WithDefault("livetune-models")
    String modelsClaim();

    /** PVC holding the artifact store (mounted at /artifacts in training pods). */
    @WithDefault("livetune-artifacts")
    String artifactsClaim();

    /** Where this operator mounts the artifact store, to read runs' metrics and eval; unset: not read. */
    Optional<Path> artifactsDir();

    @WithDefault("nvidia.com/gpu")
    String gpuResource();

    Map<String, String> nodeSelector();

    /** {@code key=value:Effect} or {@code key:Effect}. */
    Optional<List<String>> tolerations();

    Optional<String> priorityClass();

    Optional<String> trainerServiceAccount();

    /** The OTLP/HTTP collector training pods send their span to (e.g. {@code http://collector:4318}); none by default. */
    Optional<String> trainerOtlpEndpoint();

    /** Seconds a finished training Job is kept. */
    @WithDefault("86400")
    int jobTtlSeconds();

    /** Patch status with server-side apply (JOSDK's default); off only for API servers without it. */
    @WithDefault("true")
    boolean serverSideApply();

    /** Leader election through a Lease, so only one replica reconciles. */
    @WithDefault("true")
    boolean leaderElection();

    @WithDefault("livetune-training-operator")
    String leaseName();

    /** The lease's namespace; unset: the operator's own. */
    Optional<String> leaseNamespace();

    /**
     * End the process (exit 1) when the Lease is lost, so that the replica restarts and competes again;
     * off in tests, where the mock API server goes away before the test JVM does.
     */
    @WithDefault("true")
    boolean exitOnLostLease();

    /** The inference Service whose EndpointSlices list the replicas an AdapterRelease must reach. */
    @WithDefault("livetune-inference")
    String inferenceService();

    /** The slice port that carries gRPC (the admin API), and the port used when no port has that name. */
    @WithDefault("grpc")
    String inferencePortName();

    @WithDefault("9000")
    int inferencePort();

    Optional<String> inferenceAdminToken();

    /** One version load on one replica (verified and warmed). */
    @WithDefault("2m")
    java.time.Duration releaseCallTimeout();

    /** When a Degraded or Pending release is tried again. */
    @WithDefault("30s")
    java.time.Duration releaseRetry();

    /** The ConfigMap listing every live version (inference pods take it as environment). */
    @WithDefault("livetune-live-adapters")
    String liveAdaptersConfigMap();

    default ReleaseSettings release() {
        return new ReleaseSettings(inferenceService(), inferencePortName(), inferencePort(), inferenceAdminToken(),
                releaseCallTimeout(), releaseRetry(), liveAdaptersConfigMap());
    }

    default TrainingSettings training() {
        return new TrainingSettings(trainerImage(), trainerImagePullPolicy(), modelsClaim(), artifactsClaim(), artifactsDir(),
                gpuResource(), nodeSelector(), tolerations().orElse(List.of()), priorityClass(), trainerServiceAccount(),
                jobTtlSeconds(), trainerOtlpEndpoint());
    }
}
