package dev.livetune.broker;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * How a work queue is declared on RabbitMQ: durable, a quorum queue, dead-lettering through the
 * {@value #DEAD_LETTERS} exchange to {@code <queue>.dead}. A consuming SmallRye channel declares it
 * so by its settings ({@code queue.x-queue-type=quorum}, {@code auto-bind-dlq=true},
 * {@code dead-letter-exchange=livetune.dead-letters}, {@code dead-letter-queue-name=<queue>.dead});
 * a publisher declares it with {@link #declare} before its first publish, the same way, because a
 * message sent to a queue nobody has declared yet is dropped by RabbitMQ although confirmed.
 * RabbitMQ refuses a declaration whose arguments differ from the queue's, so the two must agree.
 */
public final class WorkQueues {

    public static final String DEAD_LETTERS = "livetune.dead-letters";

    private WorkQueues() {
    }

    private static boolean exists(Connection c, String queue) throws IOException, TimeoutException {
        Channel ch = c.createChannel();
        try {
            ch.queueDeclarePassive(queue);
            ch.close();
            return true;
        } catch (IOException e) {
            // NOT_FOUND closes the channel
            if (e.getCause() instanceof com.rabbitmq.client.ShutdownSignalException s
                    && s.getReason() instanceof com.rabbitmq.client.AMQP.Channel.Close close
                    && close.getReplyCode() == com.rabbitmq.client.AMQP.NOT_FOUND) {
                return false;
            }
            throw e;
        }
    }

    /** @return the queue's declaration arguments */
    public static Map<String, Object> arguments(String queue) {
        return Map.of("x-queue-type", "quorum", "x-dead-letter-exchange", DEAD_LETTERS, "x-dead-letter-routing-key", queue);
    }

    /**
     * Declares the queue unless it exists, within {@code timeout}; nothing to do in process (the
     * in-process connector declares a queue when it first publishes to it). A queue that exists is
     * only looked at (a passive declaration), which needs no permission: a publisher's RabbitMQ user
     * need not be allowed to configure, and so delete, the queue it sends to.
     *
     * @throws IOException when RabbitMQ cannot be reached, or holds a queue of that name declared otherwise
     */
    public static void declare(String uri, String queue, Duration timeout) throws IOException {
        if (uri.startsWith(Brokers.IN_PROCESS)) {
            return;
        }
        ConnectionFactory factory = new ConnectionFactory();
        try {
            factory.setUri(uri);
        } catch (java.net.URISyntaxException | java.security.GeneralSecurityException e) {
            throw new IOException("not a RabbitMQ URI: " + uri, e);
        }
        int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        factory.setConnectionTimeout(millis);
        factory.setHandshakeTimeout(millis);
        factory.setChannelRpcTimeout(millis);
        factory.setAutomaticRecoveryEnabled(false);
        try (Connection c = factory.newConnection("livetune-declare")) {
            if (exists(c, queue)) {
                return;
            }
            try (Channel ch = c.createChannel()) {
                ch.queueDeclare(queue, true, false, false, arguments(queue));
            }
        } catch (TimeoutException e) {
            throw new IOException("RabbitMQ did not answer in " + timeout + ": " + e.getMessage(), e);
        }
    }
}
