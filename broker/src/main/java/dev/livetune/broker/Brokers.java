package dev.livetune.broker;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Opens a broker by URI, so a service's configuration alone says where its messages go:
 * {@code amqp://…} or {@code amqps://…} is RabbitMQ ({@link AmqpBroker}); {@code inprocess://NAME}
 * is the {@link InProcessBroker} called NAME in this JVM, shared by every component that opens
 * it (standalone points every role at {@code inprocess://livetune}).
 *
 * <p>Each open of an in-process broker is a handle: closing it ends the subscriptions made through
 * it, not the broker the other components share.
 */
public final class Brokers {

    public static final String IN_PROCESS = "inprocess://";

    private static final Map<String, InProcessBroker> IN_PROCESS_BROKERS = new ConcurrentHashMap<>();

    private Brokers() {
    }

    /** A broker that recovers its connection by itself (consumers, listeners and long-lived publishers). */
    public static Broker open(String uri, String clientName) throws IOException {
        return inProcess(uri).orElseAmqp(() -> new AmqpBroker(uri, clientName));
    }

    /**
     * A publisher that connects when it publishes and never buffers (see {@link AmqpBroker#onDemand});
     * in process, a publish is taken at once.
     */
    public static Broker onDemand(String uri, String clientName, Duration confirmTimeout) throws IOException {
        return inProcess(uri).orElseAmqp(() -> AmqpBroker.onDemand(uri, clientName, confirmTimeout));
    }

    private interface AmqpOpener {
        Broker open() throws IOException;
    }

    private record Resolved(InProcessBroker shared) {
        Broker orElseAmqp(AmqpOpener amqp) throws IOException {
            return shared != null ? new Handle(shared) : amqp.open();
        }
    }

    private static Resolved inProcess(String uri) {
        if (uri == null || uri.isBlank()) {
            throw new IllegalArgumentException("no broker URI: give amqp://user:pass@host:port/vhost or " + IN_PROCESS + "NAME");
        }
        if (!uri.startsWith(IN_PROCESS)) {
            if (!uri.startsWith("amqp://") && !uri.startsWith("amqps://")) {
                throw new IllegalArgumentException("broker URI '" + uri + "' must start with amqp://, amqps:// or " + IN_PROCESS);
            }
            return new Resolved(null);
        }
        String name = uri.substring(IN_PROCESS.length());
        if (name.isEmpty()) {
            throw new IllegalArgumentException("broker URI '" + uri + "' names no in-process broker (" + IN_PROCESS + "NAME)");
        }
        return new Resolved(IN_PROCESS_BROKERS.computeIfAbsent(name, n -> new InProcessBroker()));
    }

    /** One component's view of a shared in-process broker. */
    private static final class Handle implements Broker {
        private final InProcessBroker broker;
        private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();

        Handle(InProcessBroker broker) {
            this.broker = broker;
        }

        @Override
        public void declare(String queue) {
            broker.declare(queue);
        }

        @Override
        public void publish(String queue, Message message) throws IOException {
            broker.publish(queue, message);
        }

        @Override
        public Subscription consume(String queue, int prefetch, DeliveryHandler handler) throws IOException {
            return track(broker.consume(queue, prefetch, handler));
        }

        @Override
        public long depth(String queue) throws IOException {
            return broker.depth(queue);
        }

        @Override
        public void broadcast(String topic, String routingKey, byte[] body) {
            broker.broadcast(topic, routingKey, body);
        }

        @Override
        public Subscription listen(String topic, String pattern, Consumer<byte[]> listener) {
            return track(broker.listen(topic, pattern, listener));
        }

        private Subscription track(Subscription s) {
            subscriptions.add(s);
            return s;
        }

        @Override
        public void close() {
            subscriptions.forEach(Subscription::close);
            subscriptions.clear();
        }
    }
}
