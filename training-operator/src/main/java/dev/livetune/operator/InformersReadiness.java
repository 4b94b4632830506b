package dev.livetune.operator;

import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.RuntimeInfo;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready once the operator has started and every informer it watches with (TrainingRuns,
 * AdapterReleases, Jobs) is connected and synced: a replica whose watches broke reports which
 * ones, and Kubernetes stops counting it ready. A standby replica (leader election) runs its
 * informers too, so it is ready to take over when it reports UP.
 */
@Readiness
@ApplicationScoped
public class InformersReadiness implements HealthCheck {

    static final String NAME = "operator informers";

    private final Operators operators;

    InformersReadiness(Operators operators) {
        this.operators = operators;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder r = HealthCheckResponse.named(NAME);
        Operator operator = operators.operator();
        if (operator == null || !operator.getRuntimeInfo().isStarted()) {
            return r.down().withData("reason", "the operator has not started").build();
        }
        RuntimeInfo info = operator.getRuntimeInfo();
        if (info.allEventSourcesAreHealthy()) {
            return r.up().withData("controllers", info.getRegisteredControllers().size()).build();
        }
        info.unhealthyEventSources().forEach((controller, sources) ->
                r.withData(controller, String.join(", ", sources.keySet())));
        return r.down().build();
    }
}
