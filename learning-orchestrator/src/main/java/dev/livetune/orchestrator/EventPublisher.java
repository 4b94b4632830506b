package dev.livetune.orchestrator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.livetune.api.learn.LearnEvent;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/**
 * Publishes {@link LearnEvent}s to the {@code learn-events} topic exchange. Best effort: the job's
 * history is in Redis either way, so a broker that is away costs watchers live updates, not data.
 */
@Singleton
public class EventPublisher {

    private static final Logger LOG = Logger.getLogger(EventPublisher.class);

    private final OrchestratorConfig config;
    private final ObjectMapper json = new ObjectMapper();
    private Connection connection;
    private Channel channel;

    EventPublisher(OrchestratorConfig config) {
        this.config = config;
    }

    public synchronized void publish(LearnEvent event) {
        try {
            if (channel == null || !channel.isOpen()) {
                close();
                ConnectionFactory f = new ConnectionFactory();
                f.setUri(config.rabbitmqUri());
                f.setConnectionTimeout(2000);
                connection = f.newConnection("livetune-orchestrator-events");
                channel = connection.createChannel();
                channel.exchangeDeclare(LearnEvent.EXCHANGE, BuiltinExchangeType.TOPIC, true);
            }
            channel.basicPublish(LearnEvent.EXCHANGE, event.tenant() + "." + event.jobId(), null, json.writeValueAsBytes(event));
        } catch (Exception e) {
            LOG.debugf("learn event not published (%s); it is in Redis", e.getMessage());
            close();
        }
    }

    @PreDestroy
    synchronized void close() {
        try {
            if (connection != null) {
                connection.abort(1000);
            }
        } catch (RuntimeException e) {
            // gone already
        }
        connection = null;
        channel = null;
    }
}
