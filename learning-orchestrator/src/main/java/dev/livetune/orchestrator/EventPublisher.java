package dev.livetune.orchestrator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.learn.LearnEvent;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.rabbitmq.OutgoingRabbitMQMetadata;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

/**
 * Publishes {@link LearnEvent}s on the {@code learn-events} topic (channel {@code learn-events-out},
 * routing key {@code <tenant>.<job>}). Best effort: the job's history is in Redis either way, so a
 * broker that is away costs watchers live updates, not data; while it is away, events past the
 * emitter's buffer are dropped rather than held.
 */
@Singleton
public class EventPublisher {

    private static final Logger LOG = Logger.getLogger(EventPublisher.class);

    private final MutinyEmitter<byte[]> events;
    private final ObjectMapper json = new ObjectMapper();

    EventPublisher(@Channel("learn-events-out") @OnOverflow(OnOverflow.Strategy.DROP) MutinyEmitter<byte[]> events) {
        this.events = events;
    }

    public void publish(LearnEvent event) {
        try {
            events.sendMessageAndForget(Message.of(json.writeValueAsBytes(event), Metadata.of(OutgoingRabbitMQMetadata.builder()
                    .withRoutingKey(event.tenant() + "." + event.jobId()).build())));
        } catch (JsonProcessingException | RuntimeException e) {
            LOG.debugf("learn event not published (%s); it is in Redis", e.getMessage());
        }
    }
}
