package dev.livetune.gateway;

import io.lettuce.core.api.sync.RedisCommands;
import jakarta.inject.Singleton;

/**
 * Per-tenant requests and tokens per minute, and learn jobs per hour, counted in Redis (fixed windows
 * shared by every gateway replica). Over a limit: 429 with {@code Retry-After} = seconds to the next
 * window.
 */
@Singleton
public class Quotas {

    private final RedisStore store;
    private final GatewayConfig config;

    Quotas(RedisStore store, GatewayConfig config) {
        this.store = store;
        this.config = config;
    }

    /** Counts one request; 429 when over either limit. */
    public void admit(String tenant) {
        long now = System.currentTimeMillis();
        long window = now / 60_000;
        int retryAfter = (int) Math.max(1, ((window + 1) * 60_000 - now + 999) / 1000);
        RedisCommands<String, String> r = store.redis();
        String tokens = r.get(key(tenant, "tok", window));
        if (tokens != null && Long.parseLong(tokens) >= config.tokensPerMinute()) {
            throw OpenAiException.rateLimited("token quota of " + config.tokensPerMinute()
                    + " per minute used up; retry in " + retryAfter + " s", retryAfter);
        }
        String k = key(tenant, "req", window);
        long n = r.incr(k);
        if (n == 1) {
            r.expire(k, 120);
        }
        if (n > config.requestsPerMinute()) {
            throw OpenAiException.rateLimited("request quota of " + config.requestsPerMinute()
                    + " per minute used up; retry in " + retryAfter + " s", retryAfter);
        }
    }

    /**
     * Counts one learn job against the tenant's own learning quota ({@code learn-jobs-per-hour}, apart
     * from the chat quota: teaching costs no chat request, and chatting no learn job); 429 past it.
     */
    public void admitLearning(String tenant) {
        long now = System.currentTimeMillis();
        long window = now / 3_600_000;
        int retryAfter = (int) Math.max(1, ((window + 1) * 3_600_000 - now + 999) / 1000);
        String k = key(tenant, "learn", window);
        long n = store.redis().incr(k);
        if (n == 1) {
            store.redis().expire(k, 7200);
        }
        if (n > config.learnJobsPerHour()) {
            throw OpenAiException.rateLimited("learning quota of " + config.learnJobsPerHour() + " jobs per hour used up;"
                    + " retry in " + retryAfter + " s", retryAfter);
        }
    }

    /** Adds the tokens a request used. */
    public void charge(String tenant, long tokens) {
        long window = System.currentTimeMillis() / 60_000;
        String k = key(tenant, "tok", window);
        if (store.redis().incrby(k, tokens) == tokens) {
            store.redis().expire(k, 120);
        }
    }

    private static String key(String tenant, String what, long window) {
        return "livetune:quota:" + tenant + ":" + what + ":" + window;
    }
}
