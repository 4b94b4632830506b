package dev.livetune.broker;

import io.smallrye.common.annotation.Identifier;
import io.vertx.rabbitmq.RabbitMQOptions;
import jakarta.enterprise.inject.Produces;
import java.time.Duration;

/** The contract channels' RabbitMQ connection, made as the services make theirs ({@link RabbitMq#options}). */
class ContractConnection {

    @Produces
    @Identifier("contract")
    RabbitMQOptions rabbitmq() {
        return RabbitMq.options("amqp://guest:guest@localhost:5672/%2F", "messaging-contract-test", Duration.ofSeconds(1));
    }
}
