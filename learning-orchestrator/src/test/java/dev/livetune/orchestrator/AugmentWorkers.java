package dev.livetune.orchestrator;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.livetune.augment.AugmentWorker;
import dev.livetune.augment.Augmenter;
import dev.livetune.augment.QualityFilter;
import dev.livetune.augment.RulesTeacher;
import dev.livetune.augment.SafeFetcher;
import dev.livetune.augment.SearxngSearch;
import dev.livetune.broker.AmqpBroker;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * augmentation-service's workers for the pipeline tests: the real {@link AugmentWorker} with the
 * rules teacher, searching {@link WebServer}, with {@code docs.test} (127.0.0.1 in the tests' hosts
 * file) on the fetch allowlist, so pages there are fetched and pages on {@code localhost} refused.
 */
final class AugmentWorkers {

    static final String TASKS = "augment-tasks-orchestrator-test";
    static final String RESULTS = "augment-results-orchestrator-test";
    static final String ALLOWED_HOST = "docs.test";

    /** The workers' spans (augmentation-service exports them over OTLP; here they are kept in memory). */
    static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();

    private AugmentWorkers() {
    }

    /** Workers on their own connection; closing the worker's broker closes both. */
    record Running(AmqpBroker broker, AugmentWorker worker) implements AutoCloseable {
        @Override
        public void close() {
            worker.close();
            broker.close();
        }
    }

    static Running start() throws Exception {
        Augmenter augmenter = new Augmenter(t -> new RulesTeacher(), QualityFilter.defaults(),
                Optional.of(new SearxngSearch(URI.create("http://localhost:" + WebServer.PORT + "/"), Duration.ofSeconds(5))),
                new SafeFetcher(Set.of(ALLOWED_HOST), 2 << 20, Duration.ofSeconds(5)), 3, "test-worker");
        AmqpBroker broker = new AmqpBroker("amqp://guest:guest@localhost:5672", "orchestrator-test-workers");
        return new Running(broker, new AugmentWorker(broker, new AugmentWorker.Settings(TASKS, RESULTS, 2, 2), augmenter,
                SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(SPANS)).build().get("test-worker"))
                .start());
    }

    static void deleteQueues() {
        deleteQueue(TASKS, TASKS + ".dead", RESULTS);
    }

    static void deleteQueue(String... queues) {
        try (Connection c = new ConnectionFactory().newConnection(); Channel ch = c.createChannel()) {
            for (String q : queues) {
                ch.queueDelete(q);
            }
        } catch (Exception e) {
            // nothing to clean
        }
    }
}
