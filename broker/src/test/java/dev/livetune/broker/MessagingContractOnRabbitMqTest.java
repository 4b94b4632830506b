package dev.livetune.broker;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.net.Socket;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** {@link MessagingContract} on {@code smallrye-rabbitmq}, against the RabbitMQ on localhost:5672. */
@QuarkusTest
@TestProfile(MessagingContractOnRabbitMqTest.Profile.class)
class MessagingContractOnRabbitMqTest extends MessagingContract {

    public static class Profile implements QuarkusTestProfile {
        @Override
        public String getConfigProfile() {
            return "rabbit";
        }
    }

    @BeforeAll
    static void rabbitMqRuns() {
        try (Socket s = new Socket("localhost", 5672)) {
            // reachable
        } catch (IOException e) {
            throw new IllegalStateException("RabbitMQ is not running on localhost:5672; start it (e.g. "
                    + "`rabbitmq-server -detached`) or run the tests through .ci/run");
        }
    }

    /** The queues are durable (quorum queues are); this run's go when it ends. */
    @AfterAll
    static void deleteQueues() throws Exception {
        String queue = ConfigProvider.getConfig().getValue("contract.queue", String.class);
        try (Connection c = new ConnectionFactory().newConnection(); Channel ch = c.createChannel()) {
            ch.queueDelete(queue);
            ch.queueDelete(queue + ".dead");
        }
    }
}
