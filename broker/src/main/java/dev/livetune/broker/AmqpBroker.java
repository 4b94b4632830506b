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

    private final Connection connection;
    private final Set<String> exchanges = ConcurrentHashMap.newKeySet();
    private Channel publisher;
    private Channel events;
    private volatile String returned;

    /** @param uri e.g. {@code amqp://guest:guest@localhost:5672} */
    public AmqpBroker(String uri, String connectionName) throws IOException {
        try {
            ConnectionFactory factory = new ConnectionFactory();
            factory.setUri(uri);
            factory.setAutomaticRecoveryEnabled(true);
            factory.setConnectionTimeout(5000);
            this.connection = factory.newConnection(connectionName);
        } catch (TimeoutException | java.net.URISyntaxException | java.security.GeneralSecurityException e) {
            throw new IOException("cannot connect to RabbitMQ at " + uri + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void declare(String queue) throws IOException {
        Channel ch = publisher();
        ch.queueDeclare(queue, true, false, false, null);
        ch.queueDeclare(Broker.deadLetterQueue(queue), true, false, false, null);
    }

    private Channel publisher() throws IOException {
        if (publisher == null || !publisher.isOpen()) {
            publisher = connection.createChannel();
            publisher.confirmSelect();
            publisher.addReturnListener(r -> returned = r.getReplyText());
        }
        return publisher;
    }

    @Override
    public synchronized void publish(String queue, Message message) throws IOException {
        Channel ch = publisher();
        returned = null;
        ch.basicPublish("", queue, true, properties(message), message.body());
        try {
            ch.waitForConfirmsOrDie(10_000);
            if (returned != null) {
                throw new IOException("no queue '" + queue + "' (declare it first): " + returned);
            }
        } catch (TimeoutException e) {
            throw new IOException("RabbitMQ did not confirm the message to " + queue, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the confirm", e);
        }
    }

    private static AMQP.BasicProperties properties(Message m) {
        return MessageProperties.PERSISTENT_BASIC.builder().contentType("application/json").messageId(m.messageId())
                .replyTo(m.replyTo()).build();
    }

    @Override
    public Subscription consume(String queue, int prefetch, DeliveryHandler handler) throws IOException {
        Channel ch = connection.createChannel();
        ch.basicQos(prefetch);
        ch.basicConsume(queue, false, new DefaultConsumer(ch) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body)
                    throws IOException {
                AmqpDelivery d = new AmqpDelivery(ch, queue, envelope, new Message(body, props.getMessageId(), props.getReplyTo()));
                try {
                    handler.handle(d);
                } catch (Exception e) {
                    d.requeueIfUnsettled();
                }
            }
        });
        return () -> {
            try {
                if (ch.isOpen()) {
                    ch.close();
                }
            } catch (IOException | TimeoutException | RuntimeException e) {
                // closing requeues whatever was unsettled either way
            }
        };
    }

    private static final class AmqpDelivery implements Delivery {
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

        @Override
        public synchronized void deadLetter() throws IOException {
            if (!settled) {
                settled = true;
                ch.basicPublish("", Broker.deadLetterQueue(queue), properties(message), message.body());
                ch.basicAck(envelope.getDeliveryTag(), false);
            }
        }

        synchronized void requeueIfUnsettled() throws IOException {
            if (!settled && ch.isOpen()) {
                requeue();
            }
        }
    }

    @Override
    public synchronized void broadcast(String topic, String routingKey, byte[] body) {
        try {
            if (events == null || !events.isOpen()) {
                events = connection.createChannel();
            }
            if (exchanges.add(topic)) {
                events.exchangeDeclare(topic, BuiltinExchangeType.TOPIC, true);
            }
            events.basicPublish(topic, routingKey, null, body);
        } catch (IOException | RuntimeException e) {
            exchanges.remove(topic);
            // best effort: the record of what happened is elsewhere (Redis)
        }
    }

    @Override
    public Subscription listen(String topic, String pattern, Consumer<byte[]> listener) throws IOException {
        Channel ch = connection.createChannel();
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
    public boolean healthy() {
        return connection.isOpen();
    }

    @Override
    public void close() {
        try {
            connection.close(3000);
        } catch (IOException | RuntimeException e) {
            // gone already
        }
    }
}
