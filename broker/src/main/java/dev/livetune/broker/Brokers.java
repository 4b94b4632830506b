package dev.livetune.broker;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The in-process brokers of this JVM, by URI: {@code inprocess://NAME} is the {@link InProcessBroker}
 * called NAME, shared by every component that opens it (standalone points every role at
 * {@code inprocess://livetune}, and the in-process SmallRye connector opens it too). RabbitMQ is
 * reached through SmallRye channels, not here.
 *
 * <p>Each open is a handle: closing it ends the subscriptions made through it, not the broker the
 * other components share.
 */
public final class Brokers {

    public static final String IN_PROCESS = "inprocess://";

    private static final Map<String, InProcessBroker> IN_PROCESS_BROKERS = new ConcurrentHashMap<>();

    private Brokers() {
    }

    /**
     * @param uri {@code inprocess://NAME}
     * @return a handle on the in-process broker of that name, made on first use
     */
    public static Broker open(String uri) {
        if (uri == null || !uri.startsWith(IN_PROCESS)) {
            throw new IllegalArgumentException("'" + uri + "' is not an in-process broker URI (" + IN_PROCESS + "NAME);"
                    + " RabbitMQ (amqp://…) is reached through the services' SmallRye channels");
        }
        String name = uri.substring(IN_PROCESS.length());
        if (name.isEmpty()) {
            throw new IllegalArgumentException("broker URI '" + uri + "' names no in-process broker (" + IN_PROCESS + "NAME)");
        }
        return new Handle(IN_PROCESS_BROKERS.computeIfAbsent(name, n -> new InProcessBroker()));
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
