package dev.livetune.inference;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The service's Prometheus meters (no tenant ids in labels: their number is unbounded; every meter
 * carries {@code model_name}, the base model's directory name, as vLLM's do). A singleton rather than
 * a proxied bean, because callers read its fields directly.
 */
@Singleton
public class InferenceMetrics {

    final Timer timeToFirstToken;
    final Timer interTokenLatency;
    final Timer e2eLatency;
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger waiting = new AtomicInteger();
    final Counter promptTokens;
    final Counter generationTokens;
    final Counter adapterLoads;
    final Counter adapterLoadFailures;
    final Timer adapterLoad;
    final Timer queueTime;
    /** Key/value positions the decode batch's cache holds, and has allocated (the KV cache is one tensor per layer, not paged). */
    final AtomicLong kvCachePositions = new AtomicLong();
    final AtomicLong kvCacheCapacity = new AtomicLong();
    private final MeterRegistry registry;

    InferenceMetrics(MeterRegistry registry) {
        this.registry = registry;
        timeToFirstToken = latency(registry, "livetune.time.to.first.token", "from arrival to the first token");
        interTokenLatency = latency(registry, "livetune.inter.token.latency", "between consecutive tokens of a stream");
        e2eLatency = latency(registry, "livetune.e2e.request.latency", "from arrival to the last token");
        Gauge.builder("livetune.requests.running", running, AtomicInteger::get)
                .description("sequences in the decode batch").register(registry);
        Gauge.builder("livetune.requests.waiting", waiting, AtomicInteger::get)
                .description("requests waiting for a place in the batch").register(registry);
        promptTokens = Counter.builder("livetune.prompt.tokens").description("prompt tokens processed").register(registry);
        generationTokens = Counter.builder("livetune.generation.tokens").description("tokens generated").register(registry);
        adapterLoads = Counter.builder("livetune.adapter.loads").tag("result", "loaded")
                .description("adapter versions loaded").register(registry);
        adapterLoadFailures = Counter.builder("livetune.adapter.loads").tag("result", "failed")
                .description("adapter versions loaded").register(registry);
        adapterLoad = latency(registry, "livetune.adapter.load", "read, verify and warm up one adapter version");
        queueTime = latency(registry, "livetune.request.queue.time", "from arrival to a place in the decode batch");
        Gauge.builder("livetune.kv.cache.positions", kvCachePositions, AtomicLong::get)
                .description("key/value positions the decode batch's cache holds (rows times length, padding included)")
                .register(registry);
        Gauge.builder("livetune.kv.cache.capacity", kvCacheCapacity, AtomicLong::get)
                .description("key/value positions the decode batch's cache has allocated").register(registry);
    }

    /** Counts a finished request by why it ended: {@code stop}, {@code length}, {@code cancelled} or {@code error}. */
    void finished(String reason) {
        Counter.builder("livetune.request.finished").tag("finished_reason", reason)
                .description("requests ended, by why").register(registry).increment();
    }

    /** Reports how many adapter versions are resident (read when scraped). */
    void residentAdapters(java.util.function.IntSupplier resident) {
        Gauge.builder("livetune.adapters.resident", resident::getAsInt)
                .description("adapter versions resident in memory").register(registry);
    }

    private static Timer latency(MeterRegistry registry, String name, String description) {
        return Timer.builder(name).description(description).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(5))
                .register(registry);
    }
}
