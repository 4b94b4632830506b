package dev.livetune.broker;

import io.vertx.rabbitmq.RabbitMQOptions;
import java.time.Duration;

/**
 * The RabbitMQ connection of a service's {@code smallrye-rabbitmq} channels, from the one URI its
 * configuration names ({@code amqp://user:password@host:port/vhost}), as a {@link RabbitMQOptions} bean
 * the channels select with {@code client-options-name}. A lost connection is retried for as long as it
 * takes, every {@code retry} (the connector's own default gives up after 100 tries and then never
 * publishes again until a restart).
 */
public final class RabbitMq {

    private RabbitMq() {
    }

    /**
     * @param uri an {@code amqp://} or {@code amqps://} URI; standalone's {@code inprocess://…} gives
     *            options no channel uses (its channels are on the in-process connector)
     */
    public static RabbitMQOptions options(String uri, String connectionName, Duration retry) {
        RabbitMQOptions options = new RabbitMQOptions().setConnectionName(connectionName)
                .setReconnectAttempts(Integer.MAX_VALUE).setReconnectInterval(retry.toMillis());
        if (uri.startsWith("amqp://") || uri.startsWith("amqps://")) {
            options.setUri(uri);
        } else if (!uri.startsWith(Brokers.IN_PROCESS)) {
            throw new IllegalArgumentException("broker URI '" + uri + "' must start with amqp://, amqps:// or "
                    + Brokers.IN_PROCESS);
        }
        return options;
    }
}
