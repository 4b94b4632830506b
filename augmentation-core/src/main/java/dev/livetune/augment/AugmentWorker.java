package dev.livetune.augment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.MessageProperties;
import dev.livetune.api.augment.AugmentResult;
import dev.livetune.api.augment.AugmentTask;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A competing consumer on {@code augment-tasks}: {@code consumers} channels, each with a bounded
 * prefetch, each doing its tasks one at a time. A task's result goes to the queue named in the
 * task's {@code reply-to} (else {@code augment-results}), with a publisher confirm, and only then is
 * the task acknowledged, so a worker that dies mid-task leaves it to another. A message that is not a
 * task goes to the dead-letter queue.
 */
public final class AugmentWorker implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(AugmentWorker.class.getName());

    /**
     * @param rabbitmqUri  the broker
     * @param tasksQueue   where tasks arrive
     * @param resultsQueue where results go when a task names no reply-to queue
     * @param consumers    tasks worked on at once
     * @param prefetch     unacknowledged tasks held per consumer
     */
    public record Settings(String rabbitmqUri, String tasksQueue, String resultsQueue, int consumers, int prefetch) {
        public Settings {
            if (consumers < 1 || prefetch < 1) {
                throw new IllegalArgumentException("consumers and prefetch must be at least 1");
            }
        }

        public String deadLetterQueue() {
            return tasksQueue + ".dead";
        }
    }

    private final Settings settings;
    private final Augmenter augmenter;
    private final ObjectMapper json = new ObjectMapper();
    private final AtomicLong done = new AtomicLong();
    private final List<Channel> channels = new ArrayList<>();
    private Connection connection;

    public AugmentWorker(Settings settings, Augmenter augmenter) {
        this.settings = settings;
        this.augmenter = augmenter;
    }

    /** Connects and starts consuming; the client reconnects by itself after a broker outage. */
    public synchronized AugmentWorker start(String name) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(settings.rabbitmqUri());
        factory.setAutomaticRecoveryEnabled(true);
        connection = factory.newConnection(name);
        for (int i = 0; i < settings.consumers(); i++) {
            Channel ch = connection.createChannel();
            declare(ch, settings);
            ch.basicQos(settings.prefetch());
            ch.confirmSelect();
            ch.basicConsume(settings.tasksQueue(), false, new DefaultConsumer(ch) {
                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body)
                        throws IOException {
                    handle(ch, envelope.getDeliveryTag(), props, body);
                }
            });
            channels.add(ch);
        }
        return this;
    }

    /** Declares the durable queues both sides use. */
    public static void declare(Channel ch, Settings settings) throws IOException {
        ch.queueDeclare(settings.tasksQueue(), true, false, false, null);
        ch.queueDeclare(settings.deadLetterQueue(), true, false, false, null);
        ch.queueDeclare(settings.resultsQueue(), true, false, false, null);
    }

    private void handle(Channel ch, long tag, AMQP.BasicProperties props, byte[] body) throws IOException {
        AugmentTask task;
        try {
            task = json.readValue(body, AugmentTask.class);
            if (task.schemaVersion() != AugmentTask.SCHEMA_VERSION || task.taskId() == null || task.jobId() == null
                    || task.kind() == null || task.text() == null) {
                throw new IllegalArgumentException("not a schema-1 augment task");
            }
        } catch (Exception e) {
            LOG.warning("dead-lettering an unreadable augment task: " + e.getMessage());
            ch.basicPublish("", settings.deadLetterQueue(), props, body);
            ch.basicAck(tag, false);
            return;
        }
        AugmentResult result;
        try {
            result = augmenter.run(task);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ch.basicNack(tag, false, true);
            return;
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "task " + task.taskId() + " failed", e);
            result = new AugmentResult(AugmentResult.SCHEMA_VERSION, task.taskId(), task.jobId(), null, null, List.of(),
                    List.of(), null, List.of(), "augmentation failed: " + e);
        }
        String replyTo = props.getReplyTo() == null || props.getReplyTo().isBlank() ? settings.resultsQueue() : props.getReplyTo();
        ch.basicPublish("", replyTo, MessageProperties.PERSISTENT_BASIC.builder().contentType("application/json")
                .messageId(task.taskId()).build(), json.writeValueAsBytes(result));
        try {
            ch.waitForConfirmsOrDie(30_000);
        } catch (Exception e) {
            // The result may not be durable: hand the task back (a second result with the same id is ignored).
            LOG.warning("result of " + task.taskId() + " not confirmed (" + e.getMessage() + "); task requeued");
            if (ch.isOpen()) {
                ch.basicNack(tag, false, true);
            }
            return;
        }
        ch.basicAck(tag, false);
        done.incrementAndGet();
    }

    /** @return tasks finished by this worker since it started */
    public long done() {
        return done.get();
    }

    public boolean connected() {
        return connection != null && connection.isOpen();
    }

    @Override
    public synchronized void close() {
        try {
            if (connection != null) {
                connection.close(5000);
            }
        } catch (Exception e) {
            LOG.fine("closing the broker connection: " + e.getMessage());
        }
        connection = null;
        channels.clear();
    }
}
