package dev.livetune.broker;

import static io.smallrye.reactive.messaging.annotations.ConnectorAttribute.Direction.INCOMING;
import static io.smallrye.reactive.messaging.annotations.ConnectorAttribute.Direction.INCOMING_AND_OUTGOING;
import static io.smallrye.reactive.messaging.annotations.ConnectorAttribute.Direction.OUTGOING;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.annotations.ConnectorAttribute;
import io.smallrye.reactive.messaging.connector.InboundConnector;
import io.smallrye.reactive.messaging.connector.OutboundConnector;
import io.smallrye.reactive.messaging.providers.helpers.MultiUtils;
import io.smallrye.reactive.messaging.rabbitmq.OutgoingRabbitMQMetadata;
import io.smallrye.reactive.messaging.rabbitmq.RabbitMQRejectMetadata;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.eclipse.microprofile.reactive.messaging.spi.Connector;

/**
 * A SmallRye connector over the {@link InProcessBroker}, so standalone runs every service's channels in
 * one JVM with the same beans and the same channel configuration as the cluster, where they use
 * {@code smallrye-rabbitmq}. It reads the RabbitMQ connector's attributes that matter here and means
 * the same by them:
 * <ul>
 * <li>incoming, queue: {@code queue.name} (default: the channel name), {@code max-outstanding-messages}
 * (unsettled deliveries at once), {@code failure-strategy} ({@code reject}: a nack dead-letters to
 * {@code <queue>.dead}; {@code requeue}: it puts the message back), overridden per nack by
 * {@link RabbitMQRejectMetadata}; every delivery carries an {@code IncomingRabbitMQMetadata} with its
 * message id, reply-to and redelivered flag;</li>
 * <li>incoming, topic: a non-empty {@code exchange.name} with {@code routing-keys} (default {@code #}):
 * events from now on, nothing kept, acknowledgement a no-op;</li>
 * <li>outgoing: {@code exchange.name} empty publishes to the queue named by the message's routing key
 * ({@link OutgoingRabbitMQMetadata}) or {@code default-routing-key}; a non-empty one broadcasts on that
 * topic. A message is acknowledged once the broker holds it (the in-process publisher confirm).</li>
 * </ul>
 * Payloads are bytes ({@code byte[]}, a Vert.x buffer, or a String as UTF-8), as they are on RabbitMQ
 * with {@code content-type-override=application/octet-stream}.
 */
@ApplicationScoped
@Connector(InProcessConnector.NAME)
@ConnectorAttribute(name = "broker", type = "string", direction = INCOMING_AND_OUTGOING, defaultValue = "inprocess://livetune",
        description = "The in-process broker to use, by its URI (every component naming it shares it)")
@ConnectorAttribute(name = "queue.name", type = "string", direction = INCOMING, description = "The queue to consume")
@ConnectorAttribute(name = "max-outstanding-messages", type = "int", direction = INCOMING, description = "Unsettled deliveries at once")
@ConnectorAttribute(name = "failure-strategy", type = "string", direction = INCOMING, defaultValue = "reject",
        description = "What a nack without RabbitMQRejectMetadata does: reject (dead-letter) or requeue")
@ConnectorAttribute(name = "exchange.name", type = "string", direction = INCOMING_AND_OUTGOING,
        description = "A topic to broadcast on or listen to; empty: the default exchange (straight to a queue)")
@ConnectorAttribute(name = "routing-keys", type = "string", direction = INCOMING, defaultValue = "#",
        description = "The topic's routing-key pattern listened to")
@ConnectorAttribute(name = "default-routing-key", type = "string", direction = OUTGOING, defaultValue = "",
        description = "The routing key (the queue, on the default exchange) of a message that names none")
public class InProcessConnector implements InboundConnector, OutboundConnector {

    public static final String NAME = "livetune-in-process";
    private static final int DEFAULT_PREFETCH = 256;

    private final List<Broker> opened = new CopyOnWriteArrayList<>();

    @Override
    public Flow.Publisher<? extends Message<?>> getPublisher(Config config) {
        Broker broker = open(config);
        String channel = config.getValue("channel-name", String.class);
        Optional<String> topic = nonEmpty(config.getOptionalValue("exchange.name", String.class));
        if (topic.isPresent()) {
            String pattern = config.getOptionalValue("routing-keys", String.class).orElse("#");
            return Multi.createFrom().<Message<?>>emitter(emitter -> {
                try {
                    Broker.Subscription s = broker.listen(topic.get(), pattern, body -> emitter.emit(Message.of(body)));
                    emitter.onTermination(s::close);
                } catch (IOException e) {
                    emitter.fail(e);
                }
            });
        }
        String queue = config.getOptionalValue("queue.name", String.class).orElse(channel);
        int prefetch = config.getOptionalValue("max-outstanding-messages", Integer.class).orElse(DEFAULT_PREFETCH);
        boolean requeueByDefault = "requeue".equals(config.getOptionalValue("failure-strategy", String.class).orElse("reject"));
        return Multi.createFrom().<Message<?>>emitter(emitter -> {
            try {
                broker.declare(queue);
                Broker.Subscription s = broker.consume(queue, prefetch,
                        delivery -> emitter.emit(message(queue, delivery, requeueByDefault)));
                emitter.onTermination(s::close);
            } catch (IOException e) {
                emitter.fail(e);
            }
        });
    }

    private static Message<byte[]> message(String queue, Broker.Delivery delivery, boolean requeueByDefault) {
        Broker.Message m = delivery.message();
        Metadata metadata = Metadata.of(OutgoingRabbitMQMetadata.builder().withMessageId(m.messageId()).withReplyTo(m.replyTo())
                .withRoutingKey(queue).withTimestamp(ZonedDateTime.now(ZoneOffset.UTC)).build().toIncomingMetadata("", delivery.redelivered()));
        return Message.of(m.body(), metadata, ack -> settle(delivery::ack), (failure, nack) -> {
            boolean requeue = nack.get(RabbitMQRejectMetadata.class).map(RabbitMQRejectMetadata::isRequeue)
                    .orElse(requeueByDefault);
            return settle(requeue ? delivery::requeue : delivery::deadLetter);
        });
    }

    private interface Settlement {
        void run() throws IOException;
    }

    private static CompletionStage<Void> settle(Settlement settlement) {
        try {
            settlement.run();
            return CompletableFuture.completedFuture(null);
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public Flow.Subscriber<? extends Message<?>> getSubscriber(Config config) {
        Broker broker = open(config);
        Optional<String> topic = nonEmpty(config.getOptionalValue("exchange.name", String.class));
        String defaultKey = config.getOptionalValue("default-routing-key", String.class).orElse("");
        return MultiUtils.via(messages -> messages.call(m -> {
            Optional<OutgoingRabbitMQMetadata> out = m.getMetadata(OutgoingRabbitMQMetadata.class);
            String key = out.map(OutgoingRabbitMQMetadata::getRoutingKey).filter(k -> !k.isEmpty()).orElse(defaultKey);
            try {
                byte[] body = bytes(m.getPayload());
                if (topic.isPresent()) {
                    broker.broadcast(topic.get(), key, body);
                } else {
                    broker.declare(key);
                    broker.publish(key, new Broker.Message(body, out.map(OutgoingRabbitMQMetadata::getMessageId).orElse(null),
                            out.map(OutgoingRabbitMQMetadata::getReplyTo).orElse(null)));
                }
            } catch (IOException | RuntimeException e) {
                return Uni.createFrom().completionStage(() -> m.nack(e));
            }
            return Uni.createFrom().completionStage(m::ack);
        }));
    }

    /** @return the payload as the bytes RabbitMQ would carry */
    public static byte[] bytes(Object payload) {
        if (payload instanceof byte[] b) {
            return b;
        }
        if (payload instanceof String s) {
            return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        if (payload instanceof io.vertx.core.buffer.Buffer b) {
            return b.getBytes();
        }
        if (payload instanceof io.vertx.mutiny.core.buffer.Buffer b) {
            return b.getBytes();
        }
        throw new IllegalArgumentException("a message payload must be bytes, not " + payload.getClass().getName());
    }

    private Broker open(Config config) {
        Broker b = Brokers.open(config.getOptionalValue("broker", String.class).orElse("inprocess://livetune"));
        opened.add(b);
        return b;
    }

    private static Optional<String> nonEmpty(Optional<String> value) {
        return value.map(String::strip).filter(v -> !v.isEmpty() && !v.equals("\"\""));
    }

    @PreDestroy
    void close() {
        opened.forEach(Broker::close);
    }
}
