package dev.livetune.state;

import io.lettuce.core.api.sync.RedisCommands;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Uploaded files: {@code livetune:file:<id>} (a hash: tenant, filename, bytes, purpose, created_at)
 * and {@code livetune:tenant-files:<tenant>} (the tenant's files by upload time). The bytes are in the
 * files directory, not in Redis.
 *
 * <p>Owner: gateway-service. learning-orchestrator reads a file's record when a job learns from it.
 */
public final class FileIndex {

    private static final String FILE = "livetune:file:";
    private static final String TENANT_FILES = "livetune:tenant-files:";

    private final Supplier<RedisCommands<String, String>> redis;

    public FileIndex(Supplier<RedisCommands<String, String>> redis) {
        this.redis = redis;
    }

    /** @param file its record, with at least {@code tenant} */
    public void put(String id, Map<String, String> file, long uploadedMillis) {
        redis.get().hset(FILE + id, file);
        redis.get().zadd(TENANT_FILES + file.get("tenant"), uploadedMillis, id);
    }

    /** @return the file's record; empty when there is no such file */
    public Map<String, String> get(String id) {
        return redis.get().hgetall(FILE + id);
    }

    /** @return the tenant's file ids, newest first */
    public List<String> ofTenant(String tenant) {
        return redis.get().zrevrange(TENANT_FILES + tenant, 0, -1);
    }

    public void delete(String tenant, String id) {
        redis.get().del(FILE + id);
        redis.get().zrem(TENANT_FILES + tenant, id);
    }
}
