package dev.livetune.operator;

import java.time.Duration;
import java.util.Optional;

/**
 * Where the inference replicas are and how to talk to them.
 *
 * @param inferenceService the Service whose EndpointSlices list the replicas
 * @param adminPortName    the EndpointSlice port carrying gRPC (the admin API is on it)
 * @param adminPort        used when the slice has no port of that name
 * @param adminToken       inference-service's admin token
 * @param callTimeout      one load on one replica (loads are verified and warmed)
 * @param retryAfter       when a Degraded release is tried again
 * @param liveConfigMap    the ConfigMap listing every live version, which replicas load before they report ready
 */
public record ReleaseSettings(String inferenceService, String adminPortName, int adminPort, Optional<String> adminToken,
        Duration callTimeout, Duration retryAfter, String liveConfigMap) {
}
