package dev.livetune.state;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A tenant's adapters: {@code livetune:tenant-adapters:<tenant>} (its aliases with a released version),
 * {@code livetune:tenant-versions:<tenant>:<alias>} (the versions released),
 * {@code livetune:tenant-live:<tenant>:<alias>} (the version serving), {@code
 * livetune:adapter-next-version:<tenant>:<alias>} (the version counter) and {@code
 * livetune:adapter-datasets:<tenant>:<alias>} (the jobs whose datasets the released versions learned,
 * in release order).
 *
 * <p>Owner: learning-orchestrator (a release, a rollback). The gateway and standalone read.
 */
public final class AdapterStore {

    private static final String ADAPTERS = "livetune:tenant-adapters:";
    private static final String VERSIONS = "livetune:tenant-versions:";
    private static final String LIVE = "livetune:tenant-live:";
    private static final String NEXT = "livetune:adapter-next-version:";
    private static final String DATASETS = "livetune:adapter-datasets:";

    /** A live version: {@code tenant/alias@v<version>}. */
    public record Live(String tenant, String alias, int version) {
        @Override
        public String toString() {
            return tenant + "/" + alias + "@v" + version;
        }
    }

    private final Supplier<RedisCommands<String, String>> redis;

    public AdapterStore(Supplier<RedisCommands<String, String>> redis) {
        this.redis = redis;
    }

    /** @return the tenant's aliases that have released a version */
    public Set<String> aliases(String tenant) {
        return redis.get().smembers(ADAPTERS + tenant);
    }

    public boolean hasAlias(String tenant, String alias) {
        return redis.get().sismember(ADAPTERS + tenant, alias);
    }

    /** @return the versions released, in ascending order */
    public List<Integer> versions(String tenant, String alias) {
        return redis.get().smembers(VERSIONS + key(tenant, alias)).stream().map(Integer::parseInt).sorted().toList();
    }

    public boolean released(String tenant, String alias, int version) {
        return redis.get().sismember(VERSIONS + key(tenant, alias), Integer.toString(version));
    }

    /** @return the version serving, if any */
    public OptionalInt live(String tenant, String alias) {
        String v = redis.get().get(LIVE + key(tenant, alias));
        return v == null ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(v));
    }

    /** @return a version number never handed out before for this alias */
    public int nextVersion(String tenant, String alias) {
        return Math.toIntExact(redis.get().incr(NEXT + key(tenant, alias)));
    }

    /** Records a released version, live now, learned from {@code jobId}'s dataset. Idempotent. */
    public void released(String tenant, String alias, int version, String jobId) {
        RedisCommands<String, String> r = redis.get();
        r.sadd(ADAPTERS + tenant, alias);
        r.sadd(VERSIONS + key(tenant, alias), Integer.toString(version));
        r.set(LIVE + key(tenant, alias), Integer.toString(version));
        if (!r.lrange(DATASETS + key(tenant, alias), 0, -1).contains(jobId)) {
            r.rpush(DATASETS + key(tenant, alias), jobId);
        }
    }

    /**
     * Deletes a released version from the record, unless it is the one serving (one Lua script: a
     * rollback cannot make it live in between).
     *
     * @return whether it is gone from the record (also when it was gone before); false: it is live
     */
    public boolean deleted(String tenant, String alias, int version) {
        Long gone = redis.get().eval("""
                if redis.call('GET', KEYS[1]) == ARGV[1] then return 0 end
                redis.call('SREM', KEYS[2], ARGV[1])
                return 1""", io.lettuce.core.ScriptOutputType.INTEGER,
                new String[] {LIVE + key(tenant, alias), VERSIONS + key(tenant, alias)}, Integer.toString(version));
        return gone == 1L;
    }

    /** Makes an earlier released version the one serving (a rollback). */
    public void rolledBack(String tenant, String alias, int version) {
        redis.get().set(LIVE + key(tenant, alias), Integer.toString(version));
    }

    /** @return the jobs whose datasets the alias's released versions learned, in release order */
    public List<String> datasets(String tenant, String alias) {
        return redis.get().lrange(DATASETS + key(tenant, alias), 0, -1);
    }

    /** @return every tenant's live versions, sorted (read once at startup: a scan) */
    public List<Live> allLive() {
        RedisCommands<String, String> r = redis.get();
        List<Live> out = new ArrayList<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = r.scan(cursor, ScanArgs.Builder.matches(LIVE + "*").limit(500));
            for (String k : page.getKeys()) {
                String rest = k.substring(LIVE.length());
                int colon = rest.lastIndexOf(':');
                String version = r.get(k);
                if (colon > 0 && version != null && version.matches("[1-9][0-9]*")) {
                    out.add(new Live(rest.substring(0, colon), rest.substring(colon + 1), Integer.parseInt(version)));
                }
            }
            cursor = page;
        } while (!cursor.isFinished());
        out.sort(java.util.Comparator.comparing(Live::toString));
        return out;
    }

    private static String key(String tenant, String alias) {
        return tenant + ":" + alias;
    }
}
