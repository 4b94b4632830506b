package dev.livetune.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The on-demand mode the gateway publishes with: no connection until used, a failure fails at once. */
class AmqpBrokerOnDemandTest {

    @Test
    void failsAtOnceWhenNothingListensAndConnectsOnFirstUseWhenSomethingDoes() throws Exception {
        try (AmqpBroker away = AmqpBroker.onDemand("amqp://guest:guest@localhost:1", "on-demand-test", Duration.ofSeconds(2))) {
            assertThat(away.healthy()).isFalse();
            assertThatThrownBy(() -> away.publish("q", Broker.Message.of(new byte[1]))).isInstanceOf(IOException.class);
            assertThat(away.healthy()).isFalse();
        }
        try (Socket s = new Socket("localhost", 5672)) {
            // reachable
        } catch (IOException e) {
            throw new IllegalStateException("RabbitMQ is not running on localhost:5672; start it (e.g. "
                    + "`rabbitmq-server -detached`) or run the tests through .ci/run");
        }
        String q = "on-demand-test-" + UUID.randomUUID();
        try (AmqpBroker broker = AmqpBroker.onDemand("amqp://guest:guest@localhost:5672", "on-demand-test", Duration.ofSeconds(5))) {
            assertThat(broker.healthy()).as("not connected before first use").isFalse();
            broker.declare(q);
            broker.publish(q, new Broker.Message("hello".getBytes(StandardCharsets.UTF_8), "id-1", null));
            assertThat(broker.healthy()).isTrue();
        }
        try (Connection c = new ConnectionFactory().newConnection(); Channel ch = c.createChannel()) {
            var got = ch.basicGet(q, true);
            assertThat(new String(got.getBody(), StandardCharsets.UTF_8)).isEqualTo("hello");
            assertThat(got.getProps().getMessageId()).isEqualTo("id-1");
            assertThat(got.getProps().getDeliveryMode()).as("persistent").isEqualTo(2);
            ch.queueDelete(q);
            ch.queueDelete(q + ".dead");
        }
    }
}
