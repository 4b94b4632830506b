package dev.livetune.gateway;

import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Long-lived responses a tenant holds open on this replica: streamed chats (SSE and gRPC) and live
 * job streams (SSE and {@code WatchLearnJob}), each of which holds a worker thread while it lasts (a
 * job stream up to six hours). Past {@code max-streams-per-tenant} at once a new one is refused, 429
 * with {@code Retry-After}, so one tenant cannot take the replica's threads from the others. Open
 * streams are the gauge {@code livetune_gateway_streams_open}.
 */
@Singleton
public class Streams {

    /** A stream's place; close it when the stream ends (exactly once). */
    public interface Slot extends AutoCloseable {
        @Override
        void close();
    }

    private final GatewayConfig config;
    private final ConcurrentHashMap<String, AtomicInteger> open = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();

    Streams(GatewayConfig config, MeterRegistry metrics) {
        this.config = config;
        metrics.gauge("livetune_gateway_streams_open", total);
    }

    /** @throws OpenAiException 429 when the tenant already holds {@code max-streams-per-tenant} streams here */
    public Slot open(String tenant) {
        int limit = config.maxStreamsPerTenant();
        boolean[] admitted = {false};
        open.compute(tenant, (t, n) -> {
            AtomicInteger held = n == null ? new AtomicInteger() : n;
            if (held.get() < limit) {
                held.incrementAndGet();
                admitted[0] = true;
            }
            return held.get() == 0 ? null : held;
        });
        if (!admitted[0]) {
            throw OpenAiException.rateLimited("this tenant already has " + limit + " streams open on this replica (chats and"
                    + " job streams); close one, or retry shortly", 5);
        }
        total.incrementAndGet();
        boolean[] closed = {false};
        return () -> {
            synchronized (closed) {
                if (closed[0]) {
                    return;
                }
                closed[0] = true;
            }
            total.decrementAndGet();
            open.computeIfPresent(tenant, (t, n) -> n.decrementAndGet() == 0 ? null : n);
        };
    }

    /** @return the streams the tenant holds open here now */
    int held(String tenant) {
        AtomicInteger n = open.get(tenant);
        return n == null ? 0 : n.get();
    }
}
