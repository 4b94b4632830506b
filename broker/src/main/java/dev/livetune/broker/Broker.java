package dev.livetune.broker;

import java.io.IOException;
import java.util.function.Consumer;

/**
 * The in-process broker's interface ({@link InProcessBroker}, shared by name through {@link Brokers}):
 * durable-in-memory work queues, competing consumers with bounded prefetch and explicit settlement
 * (acknowledge, requeue, dead-letter), and best-effort topic events. Services do not use it: they
 * use SmallRye channels, which standalone puts on it through {@link InProcessConnector}.
 * {@code InProcessBrokerTest} holds it to RabbitMQ's semantics.
 */
public interface Broker extends AutoCloseable {

    /** Declares a durable queue and its dead-letter queue {@code <queue>.dead}; harmless when they exist. */
    void declare(String queue) throws IOException;

    /** Publishes to a queue; returns once the broker has taken it (a publisher confirm), else throws. */
    void publish(String queue, Message message) throws IOException;

    /**
     * Consumes a queue as one of its competing consumers: at most {@code prefetch} deliveries
     * unsettled at once, handled one at a time on a thread of the broker's. A handler that throws has
     * its delivery requeued (unless it settled it), and dead-lettered if it throws again on the
     * redelivery, so a message that always fails does not circle forever.
     */
    Subscription consume(String queue, int prefetch, DeliveryHandler handler) throws IOException;

    /**
     * @return the messages in a queue waiting to be delivered (not those delivered and unsettled),
     *         for metrics
     * @throws IOException when the queue does not exist or the broker cannot be reached
     */
    long depth(String queue) throws IOException;

    /** Publishes an event on a topic (best effort: nobody listening, nothing kept). */
    void broadcast(String topic, String routingKey, byte[] body);

    /**
     * Listens to a topic's events whose routing key matches {@code pattern} ({@code *} one word,
     * {@code #} any number of words, words separated by dots), from now on.
     */
    Subscription listen(String topic, String pattern, Consumer<byte[]> listener) throws IOException;

    /** @return false while the broker cannot be reached (for readiness checks) */
    default boolean healthy() {
        return true;
    }

    @Override
    void close();

    /**
     * @param body      the payload (JSON here)
     * @param messageId the idempotency key, or null
     * @param replyTo   the queue a reply should go to, or null
     */
    record Message(byte[] body, String messageId, String replyTo) {
        public static Message of(byte[] body) {
            return new Message(body, null, null);
        }
    }

    /** One delivery, to be settled exactly once. */
    interface Delivery {
        Message message();

        /** @return true when it was delivered before and not acknowledged */
        boolean redelivered();

        void ack() throws IOException;

        /** Puts it back, to be delivered again. */
        void requeue() throws IOException;

        /** Moves it to the dead-letter queue. */
        void deadLetter() throws IOException;
    }

    @FunctionalInterface
    interface DeliveryHandler {
        void handle(Delivery delivery) throws Exception;
    }

    interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    static String deadLetterQueue(String queue) {
        return queue + ".dead";
    }
}
