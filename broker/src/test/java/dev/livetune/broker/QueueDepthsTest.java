package dev.livetune.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.net.Socket;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Queue depths for metrics, on RabbitMQ (localhost:5672) and in process: what waits, and a missing queue as an error. */
class QueueDepthsTest {

    @Test
    void onRabbitMqTheMessagesWaitingAreCountedAndAMissingQueueIsAnError() throws Exception {
        try (Socket s = new Socket("localhost", 5672)) {
            // reachable
        } catch (IOException e) {
            throw new IllegalStateException("RabbitMQ is not running on localhost:5672; start it (e.g. "
                    + "`rabbitmq-server -detached`) or run the tests through .ci/run");
        }
        String queue = "queue-depths-test-" + UUID.randomUUID();
        try (Connection c = new ConnectionFactory().newConnection(); Channel ch = c.createChannel();
                QueueDepths depths = new QueueDepths("amqp://guest:guest@localhost:5672/%2F")) {
            ch.queueDeclare(queue, true, false, false, WorkQueues.arguments(queue));
            try {
                ch.confirmSelect();
                ch.basicPublish("", queue, null, new byte[] {1});
                ch.basicPublish("", queue, null, new byte[] {2});
                ch.waitForConfirmsOrDie(10_000);
                assertThat(depths.depth(queue)).isEqualTo(2);
                assertThatThrownBy(() -> depths.depth(queue + "-missing")).isInstanceOf(IOException.class)
                        .hasMessageContaining(queue + "-missing").hasMessageNotContaining("guest:guest");
                assertThat(depths.depth(queue)).as("still answering after an error").isEqualTo(2);
            } finally {
                ch.queueDelete(queue);
            }
        }
    }

    @Test
    void inProcessTheSharedBrokersQueuesAreCounted() throws Exception {
        String uri = Brokers.IN_PROCESS + "queue-depths-" + UUID.randomUUID();
        Broker broker = Brokers.open(uri);
        broker.declare("q");
        broker.publish("q", Broker.Message.of(new byte[] {1}));
        try (QueueDepths depths = new QueueDepths(uri)) {
            assertThat(depths.depth("q")).isEqualTo(1);
            assertThatThrownBy(() -> depths.depth("missing")).isInstanceOf(IOException.class);
        }
        assertThatThrownBy(() -> new QueueDepths("redis://localhost:6379")).isInstanceOf(IllegalArgumentException.class);
    }
}
