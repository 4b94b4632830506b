package dev.livetune.broker;

import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.rabbitmq.IncomingRabbitMQMetadata;
import io.smallrye.reactive.messaging.rabbitmq.OutgoingRabbitMQMetadata;
import io.smallrye.reactive.messaging.rabbitmq.RabbitMQRejectMetadata;
import jakarta.inject.Singleton;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;

/**
 * The channels {@link MessagingContract} drives. What the consumer does with a message is in its
 * body: {@code ack:…}, {@code requeue-once:…} (put back the first time, acknowledged when it comes
 * again), {@code reject:…} (nack: dead-lettered), {@code hold:…} (left unsettled until the test
 * settles it).
 */
@Singleton
public class ContractChannels {

    /** One delivery as the consumer saw it. */
    record Seen(String body, String messageId, boolean redelivered) {
    }

    @Inject
    @Channel("contract-out")
    MutinyEmitter<byte[]> out;

    @Inject
    @Channel("contract-events-out")
    MutinyEmitter<byte[]> events;

    final List<Seen> delivered = new CopyOnWriteArrayList<>();
    final List<String> dead = new CopyOnWriteArrayList<>();
    final List<String> heard = new CopyOnWriteArrayList<>();
    final Map<String, Message<byte[]>> held = new ConcurrentHashMap<>();
    final AtomicInteger maxHeld = new AtomicInteger();

    CompletionStage<Void> send(String body, String messageId) {
        return out.sendMessage(Message.of(body.getBytes(StandardCharsets.UTF_8),
                Metadata.of(OutgoingRabbitMQMetadata.builder().withMessageId(messageId).build()))).subscribeAsCompletionStage();
    }

    void broadcast(String routingKey, String body) {
        events.sendMessageAndForget(Message.of(body.getBytes(StandardCharsets.UTF_8),
                Metadata.of(OutgoingRabbitMQMetadata.builder().withRoutingKey(routingKey).build())));
    }

    @Incoming("contract-in")
    CompletionStage<Void> consume(Message<byte[]> m) {
        String body = new String(InProcessConnector.bytes(m.getPayload()), StandardCharsets.UTF_8);
        IncomingRabbitMQMetadata meta = m.getMetadata(IncomingRabbitMQMetadata.class).orElseThrow();
        delivered.add(new Seen(body, meta.getMessageId().orElse(null), meta.isRedeliver()));
        if (body.startsWith("requeue-once:") && !meta.isRedeliver()) {
            return m.nack(new IllegalStateException("not now"), Metadata.of(new RabbitMQRejectMetadata(true)));
        }
        if (body.startsWith("reject:")) {
            return m.nack(new IllegalArgumentException("unreadable"));
        }
        if (body.startsWith("hold:")) {
            held.put(body, m);
            maxHeld.accumulateAndGet(held.size(), Math::max);
            return CompletableFuture.completedFuture(null);
        }
        return m.ack();
    }

    /** Acknowledges a held message. */
    void release(String body) {
        held.remove(body).ack();
    }

    @Incoming("contract-dead")
    CompletionStage<Void> deadLetter(Message<byte[]> m) {
        dead.add(new String(InProcessConnector.bytes(m.getPayload()), StandardCharsets.UTF_8));
        return m.ack();
    }

    @Incoming("contract-events")
    CompletionStage<Void> hear(Message<byte[]> m) {
        heard.add(new String(InProcessConnector.bytes(m.getPayload()), StandardCharsets.UTF_8));
        return m.ack();
    }
}
