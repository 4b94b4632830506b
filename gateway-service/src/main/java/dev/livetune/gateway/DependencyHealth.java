package dev.livetune.gateway;

import dev.livetune.state.StoreHealth;
import io.smallrye.health.api.HealthGroup;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;

/**
 * The shared services the gateway uses, at {@code /q/health/group/dependencies}: Redis answers a
 * {@code PING} (every API call reads keys, sessions, quotas or jobs there) and the learn-request
 * channel is connected to RabbitMQ. Deliberately not part of readiness: an outage of either would take
 * every replica out of its Service at once, so clients would get refused connections instead of
 * OpenAI's 503 with a reason, and chat goes on without RabbitMQ.
 */
@HealthGroup(DependencyHealth.GROUP)
@ApplicationScoped
public class DependencyHealth implements HealthCheck {

    static final String GROUP = "dependencies";

    private final RedisStore store;
    private final LearnPublisher publisher;

    DependencyHealth(RedisStore store, LearnPublisher publisher) {
        this.store = store;
        this.publisher = publisher;
    }

    @Override
    public HealthCheckResponse call() {
        var redis = StoreHealth.problem(store.redis(), Duration.ofSeconds(2));
        boolean rabbit = publisher.connected();
        var r = HealthCheckResponse.named("redis-and-rabbitmq").status(redis.isEmpty() && rabbit)
                .withData("redis", redis.orElse("up")).withData("rabbitmq", rabbit ? "up" : "learn-requests channel not connected");
        return r.build();
    }
}
