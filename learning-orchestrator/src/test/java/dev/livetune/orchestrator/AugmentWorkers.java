package dev.livetune.orchestrator;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.livetune.api.augment.AugmentResult;
import dev.livetune.api.augment.AugmentTask;
import dev.livetune.augment.AugmentWorker;
import dev.livetune.augment.Augmenter;
import dev.livetune.augment.QualityFilter;
import dev.livetune.augment.RulesTeacher;
import dev.livetune.augment.SafeFetcher;
import dev.livetune.augment.SearxngSearch;
import dev.livetune.broker.WorkQueues;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * Augmentation workers for the pipeline tests: the real {@link AugmentWorker} with the rules teacher,
 * searching {@link WebServer}, with {@code docs.test} (127.0.0.1 in the tests' hosts file) on the
 * fetch allowlist, so pages there are fetched and pages on {@code localhost} refused. They take tasks
 * off RabbitMQ as augmentation-service's workers do (two at once, a result confirmed on the task's
 * reply-to queue before the task is acknowledged, a message that is not a task rejected, so RabbitMQ
 * dead-letters it), on the plain RabbitMQ client: augmentation-service's SmallRye channels are that
 * module's to test ({@code WorkersTest}).
 */
final class AugmentWorkers {

    static final String TASKS = "augment-tasks-orchestrator-test";
    static final String RESULTS = "augment-results-orchestrator-test";
    static final String ALLOWED_HOST = "docs.test";

    /** The caller token each task came with, by task id (PipelineStack gives the orchestrator a Generate secret). */
    static final java.util.Map<String, String> CALLER_TOKENS = new java.util.concurrent.ConcurrentHashMap<>();

    /** The workers' spans (augmentation-service exports them over OTLP; here they are kept in memory). */
    static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();

    private AugmentWorkers() {
    }

    /** Workers on their own connection. */
    record Running(Connection connection) implements AutoCloseable {
        @Override
        public void close() {
            try {
                connection.close();
            } catch (IOException | RuntimeException e) {
                // gone already
            }
        }
    }

    static Running start() throws Exception {
        Augmenter augmenter = new Augmenter(t -> new RulesTeacher(), QualityFilter.defaults(),
                Optional.of(new SearxngSearch(URI.create("http://localhost:" + WebServer.PORT + "/"), Duration.ofSeconds(5))),
                // the test's web server's port is fetched too, so that what refuses localhost is its address
                new SafeFetcher(Set.of(ALLOWED_HOST), Set.of(80, 443, WebServer.PORT), 2 << 20, Duration.ofSeconds(5),
                        java.net.InetAddress::getAllByName), 3, "test-worker");
        AugmentWorker worker = new AugmentWorker(augmenter,
                SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(SPANS)).build().get("test-worker"));
        Connection connection = new ConnectionFactory().newConnection("orchestrator-test-workers");
        for (int i = 0; i < 2; i++) {
            Channel ch = connection.createChannel();
            ch.queueDeclare(TASKS, true, false, false, WorkQueues.arguments(TASKS));
            ch.confirmSelect();
            ch.basicQos(1);
            ch.basicConsume(TASKS, false, new DefaultConsumer(ch) {
                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
                        throws IOException {
                    AugmentTask task;
                    try {
                        task = AugmentWorker.read(body);
                    } catch (IllegalArgumentException e) {
                        ch.basicReject(envelope.getDeliveryTag(), false);
                        return;
                    }
                    if (task.callerToken() != null) {
                        CALLER_TOKENS.put(task.taskId(), task.callerToken());
                    }
                    AugmentResult result;
                    try {
                        result = worker.work(task);
                    } catch (InterruptedException e) {
                        ch.basicNack(envelope.getDeliveryTag(), false, true);
                        return;
                    }
                    String replyTo = properties.getReplyTo() == null ? RESULTS : properties.getReplyTo();
                    ch.basicPublish("", replyTo, new AMQP.BasicProperties.Builder().messageId(task.taskId()).build(),
                            AugmentWorker.bytes(result));
                    try {
                        ch.waitForConfirmsOrDie(10_000);
                    } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
                        ch.basicNack(envelope.getDeliveryTag(), false, true);
                        return;
                    }
                    ch.basicAck(envelope.getDeliveryTag(), false);
                }
            });
        }
        return new Running(connection);
    }

    static void deleteQueues() {
        deleteQueue(TASKS, TASKS + ".dead", RESULTS, RESULTS + ".dead");
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
