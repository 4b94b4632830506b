package dev.livetune.orchestrator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.learn.LearnEvent;
import dev.livetune.broker.Broker;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/**
 * Publishes {@link LearnEvent}s on the {@code learn-events} topic (routing key {@code <tenant>.<job>}).
 * Best effort: the job's history is in Redis either way, so a broker that is away costs watchers live
 * updates, not data.
 */
@Singleton
public class EventPublisher {

    private static final Logger LOG = Logger.getLogger(EventPublisher.class);

    private final Broker broker;
    private final ObjectMapper json = new ObjectMapper();

    EventPublisher(Broker broker) {
        this.broker = broker;
    }

    public void publish(LearnEvent event) {
        try {
            broker.broadcast(LearnEvent.EXCHANGE, event.tenant() + "." + event.jobId(), json.writeValueAsBytes(event));
        } catch (JsonProcessingException e) {
            LOG.debugf("learn event not published (%s); it is in Redis", e.getMessage());
        }
    }
}
