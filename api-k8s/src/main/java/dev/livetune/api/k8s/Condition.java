package dev.livetune.api.k8s;

/**
 * A status condition in Kubernetes' shape ({@code metav1.Condition}).
 *
 * @param type               e.g. {@code Succeeded}, {@code Ready}, {@code Degraded}
 * @param status             {@code True}, {@code False} or {@code Unknown}
 * @param reason             CamelCase, e.g. {@code InvalidInput}, {@code DeadlineExceeded}
 * @param message            for people
 * @param lastTransitionTime RFC 3339; changes only when {@code status} does
 * @param observedGeneration the spec generation this condition was computed for
 */
public record Condition(String type, String status, String reason, String message, String lastTransitionTime,
        Long observedGeneration) {
}
