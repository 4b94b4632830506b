package dev.livetune.state;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.ArrayList;
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

    /**
     * Checks the tenant's files against its caps and records the new one, atomically (a Lua script):
     * uploads racing each other cannot pass a cap together.
     */
    private static final String ADMIT = """
            local ids = redis.call('ZRANGE', KEYS[2], 0, -1)
            if #ids >= tonumber(ARGV[3]) then return {'files', tostring(#ids)} end
            local used = 0
            for _, other in ipairs(ids) do
              used = used + (tonumber(redis.call('HGET', ARGV[5] .. other, 'bytes')) or 0)
            end
            if used + tonumber(ARGV[2]) > tonumber(ARGV[4]) then return {'bytes', tostring(used)} end
            for i = 7, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
            redis.call('ZADD', KEYS[2], ARGV[1], ARGV[6])
            return {'ok', tostring(used + tonumber(ARGV[2]))}
            """;

    private final Supplier<RedisCommands<String, String>> redis;

    public FileIndex(Supplier<RedisCommands<String, String>> redis) {
        this.redis = redis;
    }

    /** What {@link #admit} decided: admitted, or which cap refused it and what the tenant holds. */
    public record Admission(boolean admitted, String cap, long held) {
    }

    /**
     * Records an upload unless it would take the tenant past {@code maxFiles} files or {@code maxBytes}
     * bytes in all.
     *
     * @param file its record, with at least {@code tenant} and {@code bytes}
     * @return admitted with the bytes the tenant now holds; or refused, naming the cap ({@code files}
     *         or {@code bytes}) and what the tenant holds (files or bytes)
     */
    public Admission admit(String id, Map<String, String> file, long uploadedMillis, int maxFiles, long maxBytes) {
        String[] keys = {FILE + id, TENANT_FILES + file.get("tenant")};
        List<String> args = new ArrayList<>(List.of(Long.toString(uploadedMillis), file.get("bytes"),
                Integer.toString(maxFiles), Long.toString(maxBytes), FILE, id));
        file.forEach((k, v) -> {
            args.add(k);
            args.add(v);
        });
        List<String> r = redis.get().eval(ADMIT, ScriptOutputType.MULTI, keys, args.toArray(String[]::new));
        return new Admission(r.get(0).equals("ok"), r.get(0), Long.parseLong(r.get(1)));
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
