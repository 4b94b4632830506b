package dev.livetune.gateway;

import dev.livetune.broker.RabbitMq;
import io.smallrye.common.annotation.Identifier;
import io.vertx.rabbitmq.RabbitMQOptions;
import jakarta.enterprise.inject.Produces;
import java.time.Duration;

/** The RabbitMQ connection of the gateway's SmallRye channels ({@code client-options-name=livetune-gateway}). */
class Messaging {

    @Produces
    @Identifier("livetune-gateway")
    RabbitMQOptions rabbitmq(GatewayConfig config) {
        return RabbitMq.options(config.rabbitmqUri(), "livetune-gateway", Duration.ofSeconds(1));
    }
}
