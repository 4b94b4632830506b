package dev.livetune.orchestrator;

import dev.livetune.broker.QueueDepths;
import dev.livetune.broker.RabbitMq;
import io.smallrye.common.annotation.Identifier;
import io.vertx.rabbitmq.RabbitMQOptions;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.time.Duration;

/**
 * The orchestrator's messaging, from {@code rabbitmq-uri}: the RabbitMQ connection of its SmallRye
 * channels, and the queue depths its metrics report (standalone: the in-process broker,
 * {@code inprocess://livetune}).
 */
public class Messaging {

    @Produces
    @Singleton
    QueueDepths depths(OrchestratorConfig config) throws IOException {
        return new QueueDepths(config.rabbitmqUri());
    }

    /** The RabbitMQ connection of the orchestrator's SmallRye channels ({@code client-options-name=livetune-orchestrator}). */
    @Produces
    @Identifier("livetune-orchestrator")
    RabbitMQOptions rabbitmq(OrchestratorConfig config) {
        return RabbitMq.options(config.rabbitmqUri(), "livetune-orchestrator", Duration.ofSeconds(2));
    }

    void close(@Disposes QueueDepths depths) {
        depths.close();
    }
}
