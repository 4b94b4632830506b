package dev.livetune.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.livetune.api.learn.LearnRequest;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/**
 * Publishes learn requests to the durable {@code learn-requests} queue ({@code livetune.gateway.learn-queue}) and waits for the broker's
 * publisher confirm. Nothing is buffered: if the broker is unreachable or does not confirm in time,
 * the call fails (the client gets 503) and the request is never sent later. The connection is
 * opened on first use and again after a failure.
 *
 * <p>A plain AMQP client rather than a SmallRye emitter: an emitter buffers while the broker is
 * away and would deliver, later, a request whose client was already told it failed.
 */
@Singleton
public class LearnPublisher {

    private static final Logger LOG = Logger.getLogger(LearnPublisher.class);

    private final GatewayConfig config;
    private final ObjectMapper json = new ObjectMapper();
    private Connection connection;
    private Channel channel;

    LearnPublisher(GatewayConfig config) {
        this.config = config;
    }

    /** @throws OpenAiException 503 when the broker does not confirm */
    public synchronized void publish(LearnRequest request) {
        try {
            Channel ch = channel();
            byte[] body = json.writeValueAsBytes(request);
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().contentType("application/json")
                    .deliveryMode(2).messageId(request.requestId()).type("learn-request")
                    .headers(java.util.Map.of("schemaVersion", request.schemaVersion())).build();
            ch.basicPublish("", config.learnQueue(), true, props, body);
            ch.waitForConfirmsOrDie(config.publishConfirmTimeout().toMillis());
        } catch (Exception e) {
            LOG.warnf("learn request %s not confirmed by the broker: %s", request.requestId(), e.toString());
            reset();
            throw OpenAiException.unavailable("the learning queue is unavailable; nothing was recorded, retry later", 5);
        }
    }

    private Channel channel() throws Exception {
        if (channel != null && channel.isOpen()) {
            return channel;
        }
        reset();
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(config.rabbitmqUri());
        factory.setConnectionTimeout((int) config.publishConfirmTimeout().toMillis());
        factory.setAutomaticRecoveryEnabled(false);
        connection = factory.newConnection("livetune-gateway");
        channel = connection.createChannel();
        channel.confirmSelect();
        channel.queueDeclare(config.learnQueue(), true, false, false, null);
        return channel;
    }

    private void reset() {
        try {
            if (connection != null) {
                connection.abort(1000);
            }
        } catch (RuntimeException e) {
            // already gone
        }
        connection = null;
        channel = null;
    }

    @PreDestroy
    synchronized void close() {
        reset();
    }
}
