package dev.livetune.operator;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How training pods are made: the trainer image, the volumes holding base models and the artifact
 * store, and where GPUs are found. From {@link OperatorConfig} in the service, built directly in tests.
 *
 * @param image             the trainer image (its entrypoint runs {@code trainer.jar})
 * @param imagePullPolicy   e.g. {@code IfNotPresent}
 * @param modelsClaim       PVC with the base models, mounted read-only at {@code /models}
 * @param artifactsClaim    PVC with the artifact store, mounted at {@code /artifacts}
 * @param artifactsRoot     where this operator sees the same store, to read a run's output; empty when it does not
 * @param gpuResource       the extended resource name, e.g. {@code nvidia.com/gpu}
 * @param nodeSelector      for training pods
 * @param tolerations       {@code key=value:Effect} or {@code key:Effect} (operator Exists)
 * @param priorityClass     for training pods, or empty
 * @param serviceAccount    for training pods, or empty
 * @param ttlAfterFinished  seconds a finished Job is kept
 * @param otlpEndpoint      the OTLP/HTTP collector the trainer sends its span to, or empty for none
 */
public record TrainingSettings(String image, String imagePullPolicy, String modelsClaim, String artifactsClaim,
        Optional<Path> artifactsRoot, String gpuResource, Map<String, String> nodeSelector, List<String> tolerations,
        Optional<String> priorityClass, Optional<String> serviceAccount, int ttlAfterFinished, Optional<String> otlpEndpoint) {
}
