package dev.livetune.gateway;

import io.lettuce.core.api.sync.RedisCommands;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tenant API keys: {@code lt-<id>-<secret>}. Redis keeps, per key id, the tenant, a random salt
 * and {@code sha256(salt ‖ secret)} — never the secret — so a leaked Redis dump gives no keys.
 */
@Singleton
public class ApiKeys {

    /** A key as listed (the secret is shown once, at creation). */
    public record Key(String id, String tenant, String created, Set<String> scopes) {
    }

    /** Who holds a live key: its tenant and what the key may do. */
    public record Holder(String tenant, Set<String> scopes) {
        public boolean mayTeach() {
            return scopes.contains(TEACH);
        }
    }

    /** Chatting, listing models, files and jobs: every key may. */
    public static final String CHAT = "chat";
    /** Teaching: {@code [Learn]}, learn and fine-tuning jobs, cancelling them, forgetting, rollbacks. */
    public static final String TEACH = "teach";
    /** What a key may do unless made with less (and what keys made before scopes existed may). */
    public static final Set<String> ALL_SCOPES = Set.of(CHAT, TEACH);

    private static final Pattern FORMAT = Pattern.compile("lt-([0-9a-f]{16})-([A-Za-z0-9_-]{43})");
    private static final SecureRandom RANDOM = new SecureRandom();
    /** A key's record (tenant, salt, hash of the secret, created), by the key's id. */
    private static final String KEY = "livetune:key:";
    /** A tenant's key ids. */
    private static final String TENANT_KEYS = "livetune:tenant-keys:";
    /** Every tenant that ever had a key. */
    private static final String TENANTS = "livetune:tenants";

    private final RedisStore store;

    ApiKeys(RedisStore store) {
        this.store = store;
    }

    /** @return the new key, in full (store it: it cannot be shown again) */
    public String create(String tenant) {
        return create(tenant, ALL_SCOPES);
    }

    /** @return the new key, in full, allowed {@code scopes} (a subset of {@link #ALL_SCOPES}, chat included) */
    public String create(String tenant, Set<String> scopes) {
        String key = generate();
        register(tenant, key, scopes);
        return key;
    }

    /**
     * Records a key chosen elsewhere (standalone's {@code LIVETUNE_API_KEY}) for a tenant; a no-op
     * when it is already that tenant's.
     *
     * @throws IllegalArgumentException when the key is not of the form {@code lt-<16 hex>-<43 base64url>}
     *                                  or its id already belongs to another tenant
     */
    public void register(String tenant, String key) {
        register(tenant, key, ALL_SCOPES);
    }

    private void register(String tenant, String key, Set<String> scopes) {
        Matcher m = FORMAT.matcher(key);
        if (!m.matches()) {
            throw new IllegalArgumentException("an API key must look like lt-<16 hex digits>-<43 base64url characters>");
        }
        Optional<String> owner = tenantOf(key);
        if (owner.isPresent() && owner.get().equals(tenant)) {
            return;
        }
        RedisCommands<String, String> r = store.redis();
        String keyId = m.group(1);
        String existing = r.hget(KEY + keyId, "tenant");
        if (existing != null && !existing.equals(tenant)) {
            throw new IllegalArgumentException("API key id " + keyId + " already belongs to another tenant");
        }
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        r.hset(KEY + keyId, Map.of("tenant", tenant, "salt", HexFormat.of().formatHex(salt),
                "hash", hash(salt, m.group(2)), "created", Instant.now().toString(), "scopes",
                String.join(" ", new java.util.TreeSet<>(scopes))));
        r.sadd(TENANT_KEYS + tenant, keyId);
        r.sadd(TENANTS, tenant);
    }

    /** @return a new key in the right form that no one holds yet (not recorded) */
    public static String generate() {
        byte[] id = new byte[8];
        byte[] secret = new byte[32];
        RANDOM.nextBytes(id);
        RANDOM.nextBytes(secret);
        return "lt-" + HexFormat.of().formatHex(id) + "-" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }

    /** @return the tenant the key belongs to, if it is a live key */
    public Optional<String> tenantOf(String key) {
        return holder(key).map(Holder::tenant);
    }

    /** @return the tenant the key belongs to and what the key may do, if it is a live key */
    public Optional<Holder> holder(String key) {
        Matcher m = FORMAT.matcher(key);
        if (!m.matches()) {
            return Optional.empty();
        }
        Map<String, String> stored = store.redis().hgetall(KEY + m.group(1));
        if (stored == null || stored.isEmpty()) {
            return Optional.empty();
        }
        byte[] want = stored.get("hash").getBytes(StandardCharsets.US_ASCII);
        byte[] got = hash(HexFormat.of().parseHex(stored.get("salt")), m.group(2)).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(want, got) ? Optional.of(new Holder(stored.get("tenant"), scopes(stored))) : Optional.empty();
    }

    /** @return the tenant's keys, without secrets */
    public List<Key> list(String tenant) {
        List<Key> out = new ArrayList<>();
        for (String id : store.redis().smembers(TENANT_KEYS + tenant)) {
            Map<String, String> k = store.redis().hgetall(KEY + id);
            if (k != null && !k.isEmpty()) {
                out.add(new Key(id, tenant, k.get("created"), scopes(k)));
            }
        }
        out.sort(java.util.Comparator.comparing(Key::created));
        return out;
    }

    /** @return whether a key with that id existed */
    public boolean revoke(String keyId) {
        RedisCommands<String, String> r = store.redis();
        String tenant = r.hget(KEY + keyId, "tenant");
        if (tenant == null) {
            return false;
        }
        r.del(KEY + keyId);
        r.srem(TENANT_KEYS + tenant, keyId);
        return true;
    }

    private static Set<String> scopes(Map<String, String> stored) {
        String s = stored.get("scopes");
        return s == null ? ALL_SCOPES : Set.of(s.split(" "));
    }

    private static String hash(byte[] salt, String secret) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(salt);
            d.update(secret.getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
