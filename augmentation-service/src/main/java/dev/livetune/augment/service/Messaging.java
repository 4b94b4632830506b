package dev.livetune.augment.service;

import dev.livetune.broker.RabbitMq;
import io.smallrye.common.annotation.Identifier;
import io.vertx.rabbitmq.RabbitMQOptions;
import jakarta.enterprise.inject.Produces;
import java.time.Duration;

/** The RabbitMQ connection of the workers' SmallRye channels ({@code client-options-name=livetune-augment}). */
class Messaging {

    @Produces
    @Identifier("livetune-augment")
    RabbitMQOptions rabbitmq(AugmentationConfig config) {
        return RabbitMq.options(config.rabbitmqUri(), "livetune-augment", Duration.ofSeconds(2));
    }
}
