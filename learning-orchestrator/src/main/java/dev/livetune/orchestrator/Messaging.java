package dev.livetune.orchestrator;

import dev.livetune.broker.Broker;
import dev.livetune.broker.Brokers;
import dev.livetune.broker.RabbitMq;
import io.smallrye.common.annotation.Identifier;
import io.vertx.rabbitmq.RabbitMQOptions;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.time.Duration;

/**
 * The orchestrator's messaging: the {@code broker} port (learn requests, augmentation tasks and
 * results) and the RabbitMQ connection of its SmallRye channels (job events), both from
 * {@code rabbitmq-uri}, or standalone's in-process broker ({@code inprocess://livetune}).
 */
public class Messaging {

    @Produces
    @Singleton
    Broker broker(OrchestratorConfig config) throws IOException {
        return Brokers.open(config.rabbitmqUri(), "livetune-orchestrator");
    }

    /** The RabbitMQ connection of the orchestrator's SmallRye channels ({@code client-options-name=livetune-orchestrator}). */
    @Produces
    @Identifier("livetune-orchestrator")
    RabbitMQOptions rabbitmq(OrchestratorConfig config) {
        return RabbitMq.options(config.rabbitmqUri(), "livetune-orchestrator", Duration.ofSeconds(2));
    }

    void close(@Disposes Broker broker) {
        broker.close();
    }
}
