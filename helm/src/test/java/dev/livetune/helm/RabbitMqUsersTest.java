package dev.livetune.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import dev.livetune.broker.WorkQueues;
import java.io.IOException;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 #14: every service used one RabbitMQ user that could do anything. The chart now makes
 * one user per service ({@code rabbitmq-definitions.json} in its Secret, loaded by RabbitMQ at
 * start). Here those definitions, as the chart renders them, are loaded into a real RabbitMQ (in a
 * virtual host of their own, the users renamed for the test), and each user does what its service
 * does on the broker (the declarations its SmallRye channels and {@link WorkQueues} make, its
 * publishes and consumes) and is refused what belongs to the others.
 */
class RabbitMqUsersTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SUFFIX = "-t" + UUID.randomUUID().toString().substring(0, 8);
    private static final String VHOST = "livetune-users" + SUFFIX;
    private static final Map<String, String> passwords = new HashMap<>();

    @BeforeAll
    static void loadTheChartsUsers() throws Exception {
        try (Socket s = new Socket("localhost", 5672)) {
            // reachable
        } catch (IOException e) {
            throw new IllegalStateException("RabbitMQ is not running on localhost:5672; start it (rabbitmq-server -detached)"
                    + " or run the tests through .ci/run");
        }
        ObjectNode definitions = (ObjectNode) JSON.readTree(ChartTest.secretData().get("rabbitmq-definitions.json"));
        for (JsonNode u : definitions.get("users")) {
            String name = u.get("name").asText();
            passwords.put(name, u.get("password").asText());
            ((ObjectNode) u).put("name", name + SUFFIX);
        }
        for (JsonNode p : definitions.get("permissions")) {
            ((ObjectNode) p).put("user", p.get("user").asText() + SUFFIX).put("vhost", VHOST);
        }
        definitions.set("vhosts", JSON.createArrayNode().add(JSON.createObjectNode().put("name", VHOST)));
        for (String kind : List.of("queues", "exchanges")) {
            for (JsonNode q : definitions.get(kind)) {
                ((ObjectNode) q).put("vhost", VHOST);
            }
        }
        assertThat(passwords).containsOnlyKeys("livetune", "livetune-gateway", "livetune-orchestrator", "livetune-augmentation");
        Path file = Files.createTempFile("livetune-rabbitmq-definitions", ".json");
        Files.writeString(file, JSON.writeValueAsString(definitions));
        // the broker reads the file itself, as its own user
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        try {
            rabbitmqctl(true, "import_definitions", file.toString());
        } finally {
            Files.delete(file);
        }
        await("the chart's users in RabbitMQ").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().until(() -> {
                    for (String user : passwords.keySet()) {
                        connect(user).close();
                    }
                    return true;
                });
    }

    @AfterAll
    static void removeThem() throws Exception {
        for (String user : passwords.keySet()) {
            rabbitmqctl(false, "delete_user", user + SUFFIX);
        }
        rabbitmqctl(false, "delete_vhost", VHOST);
    }

    @Test
    void eachServiceCanDoItsPartAndNothingThatBelongsToAnother() throws Exception {
        // augmentation-service: consumes the task queue (declared with its dead-letter queue) and answers on the default exchange
        try (Connection c = connect("livetune-augmentation")) {
            Channel ch = c.createChannel();
            consumerDeclarations(ch, "augment-tasks");
            ch.basicConsume("augment-tasks", true, (tag, m) -> { }, tag -> { });
            publishConfirmed(ch, "", "augment-results");
            for (Runnable refused : List.<Runnable>of(
                    () -> call(c, ch2 -> ch2.basicConsume("learn-requests", true, (t, m) -> { }, t -> { })),
                    () -> call(c, ch2 -> ch2.basicConsume("augment-results", true, (t, m) -> { }, t -> { })),
                    () -> call(c, ch2 -> ch2.queueDeclare("learn-requests", true, false, false, WorkQueues.arguments("learn-requests"))),
                    () -> call(c, ch2 -> publishConfirmed(ch2, "learn-events", "acme.job")),
                    () -> call(c, ch2 -> ch2.exchangeDelete("learn-events")))) {
                assertRefused(refused);
            }
        }
        // the orchestrator: consumes learn requests and results, declares and sends tasks, publishes job events
        try (Connection c = connect("livetune-orchestrator")) {
            Channel ch = c.createChannel();
            consumerDeclarations(ch, "learn-requests");
            consumerDeclarations(ch, "augment-results");
            WorkQueues.declare(uri("livetune-orchestrator"), "augment-tasks", Duration.ofSeconds(10));
            ch.exchangeDeclare("learn-events", BuiltinExchangeType.TOPIC, true);
            ch.basicConsume("learn-requests", true, (tag, m) -> { }, tag -> { });
            ch.basicConsume("augment-results", true, (tag, m) -> { }, tag -> { });
            publishConfirmed(ch, "", "augment-tasks");
            publishConfirmed(ch, "learn-events", "acme.job-1");
            assertRefused(() -> call(c, ch2 -> ch2.queueDeclare("learn-events.gateway.x", false, true, true, null)));
            assertRefused(() -> call(c, ch2 -> ch2.queueDeclare("something-else", true, false, false, null)));
        }
        // the gateway: sends learn requests (looking at their queue first) and listens to job events on a queue of its own
        try (Connection c = connect("livetune-gateway")) {
            Channel ch = c.createChannel();
            WorkQueues.declare(uri("livetune-gateway"), "learn-requests", Duration.ofSeconds(10));
            String own = "learn-events.gateway." + UUID.randomUUID();
            ch.queueDeclare(own, false, true, true, null);
            ch.queueBind(own, "learn-events", "#");
            ch.basicConsume(own, true, (tag, m) -> { }, tag -> { });
            publishConfirmed(ch, "", "learn-requests");
            for (Runnable refused : List.<Runnable>of(
                    () -> call(c, ch2 -> ch2.basicConsume("augment-tasks", true, (t, m) -> { }, t -> { })),
                    () -> call(c, ch2 -> ch2.basicConsume("augment-results", true, (t, m) -> { }, t -> { })),
                    () -> call(c, ch2 -> publishConfirmed(ch2, "learn-events", "acme.job")),
                    () -> call(c, ch2 -> ch2.queueDeclare("augment-tasks", true, false, false, WorkQueues.arguments("augment-tasks"))),
                    () -> call(c, ch2 -> ch2.basicConsume("learn-requests", true, (t, m) -> { }, t -> { })),
                    () -> call(c, ch2 -> ch2.queueDelete("learn-requests")),
                    () -> call(c, ch2 -> ch2.exchangeDelete("learn-events")))) {
                assertRefused(refused);
            }
        }
    }

    /** What a consuming SmallRye channel declares for a work queue (auto-bind-dlq, dlx.declare). */
    private static void consumerDeclarations(Channel ch, String queue) throws IOException {
        ch.exchangeDeclare(WorkQueues.DEAD_LETTERS, BuiltinExchangeType.DIRECT, true);
        ch.queueDeclare(queue + ".dead", true, false, false, null);
        ch.queueBind(queue + ".dead", WorkQueues.DEAD_LETTERS, queue);
        ch.queueDeclare(queue, true, false, false, WorkQueues.arguments(queue));
    }

    private static void publishConfirmed(Channel ch, String exchange, String routingKey) throws IOException {
        try {
            ch.confirmSelect();
            ch.basicPublish(exchange, routingKey, new AMQP.BasicProperties(), "{}".getBytes(StandardCharsets.UTF_8));
            ch.waitForConfirmsOrDie(10_000);
        } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
            throw new IOException(e);
        }
    }

    /** An operation on a channel of its own (a refusal closes the channel). */
    private interface Op {
        void run(Channel ch) throws IOException;
    }

    private static void call(Connection c, Op op) {
        try {
            Channel ch = c.createChannel();
            op.run(ch);
            // a refused publish closes the channel a moment later: a round trip makes it show
            ch.basicQos(1);
            ch.close();
        } catch (Exception e) {
            throw new RefusedOrFailed(e);
        }
    }

    private static final class RefusedOrFailed extends RuntimeException {
        RefusedOrFailed(Exception e) {
            super(e);
        }
    }

    private static void assertRefused(Runnable op) {
        assertThatThrownBy(op::run).isInstanceOf(RefusedOrFailed.class).satisfies(e -> {
            Throwable t = e;
            while (t != null && !(t instanceof ShutdownSignalException)) {
                t = t.getCause();
            }
            assertThat(t).as("closed by the broker: " + e).isNotNull();
            assertThat(((ShutdownSignalException) t).getReason()).as(e.toString()).isInstanceOfSatisfying(AMQP.Channel.Close.class,
                    close -> assertThat(close.getReplyCode()).as(close.getReplyText()).isEqualTo(AMQP.ACCESS_REFUSED));
        });
    }

    private static Connection connect(String user) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(uri(user));
        f.setAutomaticRecoveryEnabled(false);
        return f.newConnection("rabbitmq-users-test");
    }

    private static String uri(String user) {
        return "amqp://" + user + SUFFIX + ":" + passwords.get(user) + "@localhost:5672/"
                + URLEncoder.encode(VHOST, StandardCharsets.UTF_8);
    }

    private static void rabbitmqctl(boolean mustSucceed, String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("rabbitmqctl"));
        cmd.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("rabbitmqctl is not on the PATH: install RabbitMQ's server package (Debian: rabbitmq-server)", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("rabbitmqctl " + String.join(" ", args)).isTrue();
        if (mustSucceed) {
            assertThat(p.exitValue()).as("rabbitmqctl " + String.join(" ", args) + ":\n" + out).isZero();
        }
    }
}
