package dev.livetune.broker;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.util.concurrent.TimeoutException;

/**
 * How many messages wait in a queue, for metrics: on RabbitMQ a passive declaration on a connection
 * of its own (opened on first use, and again after it is lost); in process, the shared broker's count.
 */
public final class QueueDepths implements AutoCloseable {

    private final String uri;
    private final ConnectionFactory factory;
    private final Broker inProcess;
    private Connection connection;

    /** @param uri the service's {@code rabbitmq-uri}: {@code amqp://…}, {@code amqps://…} or {@code inprocess://NAME} */
    public QueueDepths(String uri) throws IOException {
        this.uri = uri;
        if (uri.startsWith(Brokers.IN_PROCESS)) {
            this.inProcess = Brokers.open(uri);
            this.factory = null;
        } else {
            this.inProcess = null;
            this.factory = new ConnectionFactory();
            try {
                factory.setUri(uri);
            } catch (java.net.URISyntaxException | java.security.GeneralSecurityException | IllegalArgumentException e) {
                throw new IllegalArgumentException("broker URI '" + uri + "' must start with amqp://, amqps:// or "
                        + Brokers.IN_PROCESS, e);
            }
            factory.setConnectionTimeout(5000);
            factory.setChannelRpcTimeout(5000);
            factory.setAutomaticRecoveryEnabled(false);
        }
    }

    /**
     * @return the messages in the queue waiting to be delivered (not those delivered and unsettled)
     * @throws IOException when the queue does not exist or the broker cannot be reached
     */
    public synchronized long depth(String queue) throws IOException {
        if (inProcess != null) {
            return inProcess.depth(queue);
        }
        try (Channel ch = connection().createChannel()) {
            return ch.queueDeclarePassive(queue).getMessageCount();
        } catch (IOException | TimeoutException | RuntimeException e) {
            if (connection != null && !connection.isOpen()) {
                connection = null;
            }
            throw new IOException("cannot read the depth of queue '" + queue + "' on " + uri.replaceAll("//[^@/]*@", "//")
                    + ": " + e.getMessage(), e);
        }
    }

    private Connection connection() throws IOException, TimeoutException {
        if (connection == null || !connection.isOpen()) {
            connection = factory.newConnection("livetune-queue-depths");
        }
        return connection;
    }

    @Override
    public synchronized void close() {
        if (inProcess != null) {
            inProcess.close();
        }
        if (connection != null) {
            try {
                connection.abort(1000);
            } catch (RuntimeException e) {
                // gone already
            }
            connection = null;
        }
    }
}
