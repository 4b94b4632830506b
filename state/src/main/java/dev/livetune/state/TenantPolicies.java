package dev.livetune.state;

import io.lettuce.core.api.sync.RedisCommands;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A tenant's policy, {@code livetune:tenant-policy:<tenant>}: the eval gate's {@code min_new_recall}
 * and {@code min_retention}, each a number in [0, 1] (a key left out keeps the orchestrator's
 * default); {@code web_learning}, {@code true} or {@code false} (left out: true); and
 * {@code approval}, {@code true} or {@code false} (left out: false): learn jobs wait for an
 * administrator's approval.
 *
 * <p>Owner: gateway-service (the admin API sets it; it refuses web learning a tenant turned off).
 * learning-orchestrator reads the eval gate's keys at each gate.
 */
public final class TenantPolicies {

    private static final String POLICY = "livetune:tenant-policy:";

    private final Supplier<RedisCommands<String, String>> redis;

    public TenantPolicies(Supplier<RedisCommands<String, String>> redis) {
        this.redis = redis;
    }

    /** Whether the tenant's models may learn from web search results. */
    public static final String WEB_LEARNING = "web_learning";

    /** Whether the tenant's learn jobs wait for an administrator's approval before they run. */
    public static final String APPROVAL = "approval";

    /** @return whether the tenant's learn jobs wait for an administrator's approval (no unless turned on) */
    public boolean approvalRequired(String tenant) {
        return "true".equals(redis.get().hget(POLICY + tenant, APPROVAL));
    }

    /** @return whether the tenant lets its models learn from the web (yes unless turned off) */
    public boolean webLearning(String tenant) {
        return !"false".equals(redis.get().hget(POLICY + tenant, WEB_LEARNING));
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
