package dev.livetune.broker;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.MessageProperties;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The broker on RabbitMQ: durable queues and persistent messages with publisher confirms (nothing
 * buffered: a publish either is confirmed or throws), one channel per subscription with
 * {@code basicQos(prefetch)} and manual acknowledgements, topic exchanges for events. The
 * connection recovers by itself after an outage.
 */
public final class AmqpBroker implements Broker {

    private final ConnectionFactory factory;
    private final String connectionName;
    private final boolean recovering;
    private final Duration confirmTimeout;
    private final Set<String> exchanges = ConcurrentHashMap.newKeySet();
    private Connection connection;
    private Channel publisher;
    private Channel events;
    private volatile String returned;
    private volatile boolean closed;

    /**
     * Connects now, and recovers by itself after an outage (subscriptions included).
     *
     * @param uri e.g. {@code amqp://guest:guest@localhost:5672}
     */
    public AmqpBroker(String uri, String connectionName) throws IOException {
        this(uri, connectionName, true, Duration.ofSeconds(10));
        connection();
    }

    private AmqpBroker(String uri, String connectionName, boolean recovering, Duration confirmTimeout) throws IOException {
        this.factory = new ConnectionFactory();
        try {
            factory.setUri(uri);
        } catch (java.net.URISyntaxException | java.security.GeneralSecurityException e) {
            throw new IOException("not a RabbitMQ URI: " + uri, e);
        }
        factory.setAutomaticRecoveryEnabled(recovering);
        factory.setConnectionTimeout((int) Math.min(Integer.MAX_VALUE, confirmTimeout.toMillis()));
        if (!recovering) {
            // An on-demand publisher answers its caller within the timeout: every channel call is bounded
            // by it too (declaring a queue, and closing the channel after a confirm did not come, which
            // otherwise waits for the broker's close-ok up to the client's default of ten minutes).
            factory.setChannelRpcTimeout((int) Math.min(Integer.MAX_VALUE, confirmTimeout.toMillis()));
        }
        this.connectionName = connectionName;
        this.recovering = recovering;
        this.confirmTimeout = confirmTimeout;
    }

    /**
     * For publishers that must not wait for a broker that is away: connects on first use, and after a
     * failure drops the connection and connects again on the next call (nothing is retried or buffered).
     */
    public static AmqpBroker onDemand(String uri, String connectionName, Duration timeout) throws IOException {
        return new AmqpBroker(uri, connectionName, false, timeout);
    }

    private synchronized Connection connection() throws IOException {
        if (closed) {
            throw new IOException("the broker connection " + connectionName + " is closed");
        }
        if (connection == null || (!recovering && !connection.isOpen())) {
            reset();
            try {
                connection = factory.newConnection(connectionName);
            } catch (TimeoutException e) {
                throw new IOException("cannot connect to RabbitMQ: " + e.getMessage(), e);
            }
        }
        return connection;
    }

    private synchronized void reset() {
        if (connection != null) {
            try {
                connection.abort(1000);
            } catch (RuntimeException e) {
                // gone already
            }
        }
        connection = null;
        publisher = null;
        events = null;
        exchanges.clear();
    }

    @Override
    public synchronized void declare(String queue) throws IOException {
        try {
            Channel ch = publisher();
            ch.queueDeclare(queue, true, false, false, null);
            ch.queueDeclare(Broker.deadLetterQueue(queue), true, false, false, null);
        } catch (IOException | RuntimeException e) {
            failed();
            throw e;
        }
    }

    /** After a failure, an on-demand broker starts over with a new connection next time. */
    private void failed() {
        if (!recovering) {
            reset();
        }
    }

    private Channel publisher() throws IOException {
        if (publisher == null || !publisher.isOpen()) {
            publisher = connection().createChannel();
            publisher.confirmSelect();
            publisher.addReturnListener(r -> returned = r.getReplyText());
        }
        return publisher;
    }

    @Override
    public synchronized long depth(String queue) throws IOException {
        try {
            return publisher().queueDeclarePassive(queue).getMessageCount();
        } catch (IOException | RuntimeException e) {
            // a missing queue closes the channel (404); the next call opens another
            publisher = null;
            failed();
            throw new IOException("cannot read the depth of queue '" + queue + "': " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void publish(String queue, Message message) throws IOException {
        try {
            Channel ch = publisher();
            returned = null;
            ch.basicPublish("", queue, true, properties(message), message.body());
            ch.waitForConfirmsOrDie(confirmTimeout.toMillis());
            if (returned != null) {
                throw new IOException("no queue '" + queue + "' (declare it first): " + returned);
            }
        } catch (TimeoutException e) {
            failed();
            throw new IOException("RabbitMQ did not confirm the message to " + queue, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failed();
            throw new IOException("interrupted while waiting for the confirm", e);
        } catch (IOException | RuntimeException e) {
            failed();
            throw e;
        }
    }

    private static AMQP.BasicProperties properties(Message m) {
        return MessageProperties.PERSISTENT_BASIC.builder().contentType("application/json").messageId(m.messageId())
                .replyTo(m.replyTo()).build();
    }

    @Override
    public Subscription consume(String queue, int prefetch, DeliveryHandler handler) throws IOException {
        AmqpSubscription subscription = new AmqpSubscription(queue, prefetch, handler);
        subscription.open();
        return subscription;
    }

    /**
     * One consumer's channel. If the server closes the channel on its own (a consumer timeout, a
     * queue deleted and declared again), it subscribes again after a pause; connection outages are
     * the client's automatic recovery's.
     */
    private final class AmqpSubscription implements Subscription {
        private final String queue;
        private final int prefetch;
        private final DeliveryHandler handler;
        private volatile Channel channel;
        private volatile boolean open = true;
        private int failures;

        AmqpSubscription(String queue, int prefetch, DeliveryHandler handler) {
            this.queue = queue;
            this.prefetch = prefetch;
            this.handler = handler;
        }

        void open() throws IOException {
            Channel ch = connection().createChannel();
            ch.basicQos(prefetch);
            ch.basicConsume(queue, false, new DefaultConsumer(ch) {
                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body)
                        throws IOException {
                    AmqpDelivery d = new AmqpDelivery(ch, queue, envelope, new Message(body, props.getMessageId(),
                            props.getReplyTo()));
                    try {
                        handler.handle(d);
                    } catch (Exception e) {
                        d.failed();
                    }
                }
            });
            ch.addShutdownListener(cause -> {
                if (open && !closed && !cause.isInitiatedByApplication() && !cause.isHardError()) {
                    Thread retry = new Thread(this::reopen, "broker-resubscribe-" + queue);
                    retry.setDaemon(true);
                    retry.start();
                }
            });
            channel = ch;
        }

        private void reopen() {
            while (open && !closed) {
                try {
                    Thread.sleep(Math.min(30_000, 1000L << Math.min(failures, 5)));
                    open();
                    failures = 0;
                    return;
                } catch (InterruptedException e) {
                    return;
                } catch (IOException | RuntimeException e) {
                    failures++;
                }
            }
        }

        @Override
        public void close() {
            open = false;
            try {
                Channel ch = channel;
                if (ch != null && ch.isOpen()) {
                    ch.close();
                }
            } catch (IOException | TimeoutException | RuntimeException e) {
                // closing requeues whatever was unsettled either way
            }
        }
    }

    private final class AmqpDelivery implements Delivery {
        private final Channel ch;
        private final String queue;
        private final Envelope envelope;
        private final Message message;
        private boolean settled;

        AmqpDelivery(Channel ch, String queue, Envelope envelope, Message message) {
            this.ch = ch;
            this.queue = queue;
            this.envelope = envelope;
            this.message = message;
        }

        @Override
        public Message message() {
            return message;
        }

        @Override
        public boolean redelivered() {
            return envelope.isRedeliver();
        }

        @Override
        public synchronized void ack() throws IOException {
            if (!settled) {
                settled = true;
                ch.basicAck(envelope.getDeliveryTag(), false);
            }
        }

        @Override
        public synchronized void requeue() throws IOException {
            if (!settled) {
                settled = true;
                ch.basicNack(envelope.getDeliveryTag(), false, true);
            }
        }

        /** Confirmed into the dead-letter queue first, then acknowledged: it is never in neither. */
        @Override
        public synchronized void deadLetter() throws IOException {
            if (!settled) {
                publish(Broker.deadLetterQueue(queue), message);
                settled = true;
                ch.basicAck(envelope.getDeliveryTag(), false);
            }
        }

        /** The handler threw: requeued the first time, dead-lettered if it fails again after redelivery. */
        synchronized void failed() throws IOException {
            if (!settled && ch.isOpen()) {
                if (redelivered()) {
                    deadLetter();
                } else {
                    requeue();
                }
            }
        }
    }

    @Override
    public synchronized void broadcast(String topic, String routingKey, byte[] body) {
        try {
            if (events == null || !events.isOpen()) {
                events = connection().createChannel();
            }
            if (exchanges.add(topic)) {
                events.exchangeDeclare(topic, BuiltinExchangeType.TOPIC, true);
            }
            events.basicPublish(topic, routingKey, null, body);
        } catch (IOException | RuntimeException e) {
            exchanges.remove(topic);
            failed();
            // best effort: the record of what happened is elsewhere (Redis)
        }
    }

    @Override
    public Subscription listen(String topic, String pattern, Consumer<byte[]> listener) throws IOException {
        Channel ch = connection().createChannel();
        ch.exchangeDeclare(topic, BuiltinExchangeType.TOPIC, true);
        String queue = ch.queueDeclare().getQueue();
        ch.queueBind(queue, topic, pattern);
        ch.basicConsume(queue, true, (tag, delivery) -> listener.accept(delivery.getBody()), tag -> { });
        return () -> {
            try {
                if (ch.isOpen()) {
                    ch.close();
                }
            } catch (IOException | TimeoutException | RuntimeException e) {
                // gone already
            }
        };
    }

    @Override
    public synchronized boolean healthy() {
        return connection != null && connection.isOpen();
    }

    @Override
    public synchronized void close() {
        closed = true;
        try {
            if (connection != null) {
                connection.close(3000);
            }
        } catch (IOException | RuntimeException e) {
            // gone already
        }
        connection = null;
    }
}
