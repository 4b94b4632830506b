package dev.livetune.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.learn.LearnRequest;
import dev.livetune.broker.AmqpBroker;
import dev.livetune.broker.Broker;
import dev.livetune.broker.Brokers;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.io.IOException;
import org.jboss.logging.Logger;

/**
 * Publishes learn requests to the durable {@code learn-requests} queue ({@code livetune.gateway.learn-queue})
 * and waits for the broker's publisher confirm. Nothing is buffered: if the broker is unreachable or
 * does not confirm in time, the call fails (the client gets 503) and the request is never sent
 * later. The connection is opened on first use and again after a failure
 * ({@link AmqpBroker#onDemand}).
 *
 * <p>The {@code broker} port rather than a SmallRye emitter: an emitter buffers while the broker is
 * away and would deliver, later, a request whose client was already told it failed.
 */
@Singleton
public class LearnPublisher {

    private static final Logger LOG = Logger.getLogger(LearnPublisher.class);

    private final GatewayConfig config;
    private final Broker broker;
    private final ObjectMapper json = new ObjectMapper();
    /** Whether the queue is known to exist: declared once, and again after a failed publish. */
    private volatile boolean declared;

    LearnPublisher(GatewayConfig config) throws IOException {
        this.config = config;
        this.broker = Brokers.onDemand(config.rabbitmqUri(), "livetune-gateway", config.publishConfirmTimeout());
    }

    /** @throws OpenAiException 503 when the broker does not confirm */
    public void publish(LearnRequest request) {
        try {
            if (!declared) {
                broker.declare(config.learnQueue());
                declared = true;
            }
            broker.publish(config.learnQueue(), new Broker.Message(json.writeValueAsBytes(request), request.requestId(), null));
        } catch (IOException | RuntimeException e) {
            declared = false;
            LOG.warnf("learn request %s not confirmed by the broker: %s", request.requestId(), e.toString());
            throw OpenAiException.unavailable("the learning queue is unavailable; nothing was recorded, retry later", 5);
        }
    }

    @PreDestroy
    void close() {
        broker.close();
    }
}
