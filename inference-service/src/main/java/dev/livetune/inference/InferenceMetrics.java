package dev.livetune.inference;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The service's Prometheus meters (no tenant ids in labels: their number is unbounded). A
 * singleton rather than a proxied bean, because callers read its fields directly.
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

    InferenceMetrics(MeterRegistry registry) {
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
    }

    private static Timer latency(MeterRegistry registry, String name, String description) {
        return Timer.builder(name).description(description).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(5))
                .register(registry);
    }
}
