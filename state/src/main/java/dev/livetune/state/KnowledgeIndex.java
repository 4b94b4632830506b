package dev.livetune.state;

import io.lettuce.core.api.sync.RedisCommands;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The index of a tenant alias's learned items, {@code livetune:knowledge:<tenant>:<alias>}: one hash
 * per alias, item id → a JSON summary {@code {"id", "kind" (fact | document | web), "text", "status"
 * (pending | live | retired | forgotten), "version", "job_id", "source", "samples", "probes",
 * "replaced_by"?}}.
 *
 * <p>Owner: learning-orchestrator, which keeps the knowledge record itself in the artifact store and
 * this index beside it. The gateway reads it to list and forget items.
 */
public final class KnowledgeIndex {

    private static final String KNOWLEDGE = "livetune:knowledge:";

    private final Supplier<RedisCommands<String, String>> redis;

    public KnowledgeIndex(Supplier<RedisCommands<String, String>> redis) {
        this.redis = redis;
    }

    /** @return item id → summary */
    public Map<String, String> items(String tenant, String alias) {
        return redis.get().hgetall(KNOWLEDGE + tenant + ":" + alias);
    }

    /** @return one item's summary, or null */
    public String item(String tenant, String alias, String id) {
        return redis.get().hget(KNOWLEDGE + tenant + ":" + alias, id);
    }

    public void put(String tenant, String alias, String id, String summary) {
        redis.get().hset(KNOWLEDGE + tenant + ":" + alias, id, summary);
    }
}
