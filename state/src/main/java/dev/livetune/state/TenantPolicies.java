package dev.livetune.state;

import io.lettuce.core.api.sync.RedisCommands;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A tenant's eval-gate policy, {@code livetune:tenant-policy:<tenant>}: {@code min_new_recall} and
 * {@code min_retention}, each a number in [0, 1]; a key left out keeps the orchestrator's default.
 *
 * <p>Owner: gateway-service (the admin API sets it). learning-orchestrator reads it at each eval gate.
 */
public final class TenantPolicies {

    private static final String POLICY = "livetune:tenant-policy:";

    private final Supplier<RedisCommands<String, String>> redis;

    public TenantPolicies(Supplier<RedisCommands<String, String>> redis) {
        this.redis = redis;
    }

    public Map<String, String> get(String tenant) {
        return redis.get().hgetall(POLICY + tenant);
    }

    public void put(String tenant, Map<String, String> values) {
        if (!values.isEmpty()) {
            redis.get().hset(POLICY + tenant, values);
        }
    }
}
