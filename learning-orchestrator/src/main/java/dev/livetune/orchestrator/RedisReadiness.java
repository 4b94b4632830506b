package dev.livetune.orchestrator;

import dev.livetune.state.StoreHealth;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness: Redis answers a {@code PING} (every job records its progress there), so a rolling
 * update does not go on with a pod that cannot reach it. The orchestrator serves no traffic, so an
 * outage makes no caller lose anything by it. (RabbitMQ is not checked: its channels reconnect by
 * themselves and a request waits in its queue meanwhile.)
 */
@Readiness
@ApplicationScoped
public class RedisReadiness implements HealthCheck {

    private final Redis store;

    RedisReadiness(Redis store) {
        this.store = store;
    }

    @Override
    public HealthCheckResponse call() {
        return StoreHealth.problem(store.sync(), Duration.ofSeconds(2))
                .map(why -> HealthCheckResponse.named("redis").down().withData("error", why).build())
                .orElseGet(() -> HealthCheckResponse.up("redis"));
    }
}
