package dev.livetune.api.k8s;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

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
public record Condition(
        @Required @JsonPropertyDescription("The condition's type, e.g. Succeeded or Ready; one condition per type.") String type,
        @Required @Pattern("^(True|False|Unknown)$") @JsonPropertyDescription("True, False or Unknown.") String status,
        @JsonPropertyDescription("Why, in CamelCase, e.g. InvalidInput or DeadlineExceeded.") String reason,
        @JsonPropertyDescription("Why, for people.") String message,
        @JsonPropertyDescription("When status last changed (RFC 3339).") String lastTransitionTime,
        @JsonPropertyDescription("The spec generation this condition was computed for.") Long observedGeneration) {
}
