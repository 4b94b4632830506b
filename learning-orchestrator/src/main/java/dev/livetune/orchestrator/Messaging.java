package dev.livetune.orchestrator;

import dev.livetune.broker.AmqpBroker;
import dev.livetune.broker.Broker;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.io.IOException;

/** The orchestrator's broker: RabbitMQ at {@code rabbitmq-uri} (standalone supplies an in-process one instead). */
public class Messaging {

    @Produces
    @Singleton
    Broker broker(OrchestratorConfig config) throws IOException {
        return new AmqpBroker(config.rabbitmqUri(), "livetune-orchestrator");
    }

    void close(@Disposes Broker broker) {
        broker.close();
    }
}
