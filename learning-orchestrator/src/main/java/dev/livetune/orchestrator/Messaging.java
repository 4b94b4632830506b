package dev.livetune.orchestrator;

import dev.livetune.broker.Broker;
import dev.livetune.broker.Brokers;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.io.IOException;

/** The orchestrator's broker: RabbitMQ at {@code rabbitmq-uri}, or the in-process one standalone names there ({@code inprocess://livetune}). */
public class Messaging {

    @Produces
    @Singleton
    Broker broker(OrchestratorConfig config) throws IOException {
        return Brokers.open(config.rabbitmqUri(), "livetune-orchestrator");
    }

    void close(@Disposes Broker broker) {
        broker.close();
    }
}
