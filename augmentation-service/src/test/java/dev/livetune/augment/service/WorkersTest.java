package dev.livetune.augment.service;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.GetResponse;
import dev.livetune.api.augment.AugmentResult;
import dev.livetune.api.augment.AugmentTask;
import dev.livetune.augment.AugmentWorker;
import dev.livetune.augment.Augmenter;
import dev.livetune.augment.QualityFilter;
import dev.livetune.augment.RulesTeacher;
import dev.livetune.augment.SafeFetcher;
import dev.livetune.broker.WorkQueues;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The service's workers (its SmallRye channels) on real RabbitMQ, next to a second worker on the same
 * queue (as a second replica would be; here on the plain RabbitMQ client): every task is answered on
 * its reply-to queue, both workers take a share, a task delivered twice is answered twice with one id,
 * and a message that is not a task is dead-lettered by RabbitMQ.
 */
@QuarkusTest
class WorkersTest {

    private static final String TASKS = "augment-tasks-service-test";
    private static final String REPLIES = "augment-replies-service-test";
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void brokerIsThere() {
        try (Socket s = new Socket("localhost", 5672)) {
            // reachable
        } catch (IOException e) {
            throw new IllegalStateException("RabbitMQ is not running on localhost:5672; start it (e.g. "
                    + "`rabbitmq-server -detached`) or run the tests through .ci/run");
        }
    }

    @Test
    void competingWorkersAnswerEveryTaskAndDeadLetterPoison() throws Exception {
        Augmenter second = new Augmenter(t -> new RulesTeacher(), QualityFilter.defaults(), Optional.empty(),
                new SafeFetcher(Set.of(), 1 << 20, Duration.ofSeconds(2)), 1, "second-replica");
        AtomicLong secondDone = new AtomicLong();
        try (Connection c = new ConnectionFactory().newConnection(); Channel ch = c.createChannel();
                Connection secondConnection = new ConnectionFactory().newConnection("second-replica")) {
            secondReplica(secondConnection, new AugmentWorker(second), secondDone);
            ch.queueDeclare(REPLIES, true, false, false, null);
            ch.queuePurge(REPLIES);
            ch.queuePurge(TASKS + ".dead");
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().replyTo(REPLIES).build();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                AugmentTask t = new AugmentTask(1, "job-w/" + i, "job-w", "req-" + i, "acme", "default", AugmentTask.STATEMENTS,
                        "The capital of Land" + i + " is City" + i + ".", List.of(), "message", "", 0, 4, null, null);
                ids.add(t.taskId());
                ch.basicPublish("", TASKS, props, json.writeValueAsBytes(t));
                if (i == 0) {
                    ch.basicPublish("", TASKS, props, json.writeValueAsBytes(t));
                }
            }
            ch.basicPublish("", TASKS, props, "{\"schemaVersion\": 7}".getBytes(StandardCharsets.UTF_8));

            List<AugmentResult> results = new ArrayList<>();
            // Polled on this thread: the channel is this test's own.
            await().dontCatchUncaughtExceptions().pollInSameThread().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
                        GetResponse r;
                        while (results.size() < 21 && (r = ch.basicGet(REPLIES, true)) != null) {
                            results.add(json.readValue(r.getBody(), AugmentResult.class));
                        }
                        assertThat(results).as("results on " + REPLIES).hasSize(21);
                    });
            assertThat(results).extracting(AugmentResult::taskId).containsAll(ids);
            assertThat(results.stream().filter(r -> r.taskId().equals("job-w/0")).count()).isEqualTo(2);
            for (AugmentResult r : results) {
                int i = Integer.parseInt(r.taskId().substring("job-w/".length()));
                assertThat(r.error()).isNull();
                assertThat(r.samples()).isNotEmpty().allSatisfy(s -> {
                    assertThat(s.answer()).contains("City" + i);
                    assertThat(s.provenance().requestId()).isEqualTo("req-" + i);
                });
            }
            Set<String> workers = new HashSet<>();
            results.forEach(r -> workers.add(r.worker()));
            assertThat(workers).as("both replicas took tasks").hasSize(2).contains("second-replica");

            GetResponse dead = await("the poison message in the dead-letter queue").dontCatchUncaughtExceptions()
                    .pollInSameThread().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .until(() -> ch.basicGet(TASKS + ".dead", true), Objects::nonNull);
            assertThat(new String(dead.getBody(), StandardCharsets.UTF_8)).contains("\"schemaVersion\": 7");
            assertThat(secondDone.get()).isPositive();
        }
        given().get("/q/health/ready").then().statusCode(200).body("checks[0].name", equalTo("augment-workers"))
                .body("checks[0].status", equalTo("UP"));
    }

    /** A second replica: one task at a time, its result confirmed on the reply-to queue before the task is acknowledged. */
    private static void secondReplica(Connection connection, AugmentWorker worker, AtomicLong done) throws IOException {
        Channel ch = connection.createChannel();
        ch.queueDeclare(TASKS, true, false, false, WorkQueues.arguments(TASKS));
        ch.confirmSelect();
        ch.basicQos(1);
        ch.basicConsume(TASKS, false, new DefaultConsumer(ch) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
                    throws IOException {
                AugmentTask task;
                try {
                    task = AugmentWorker.read(body);
                } catch (IllegalArgumentException e) {
                    ch.basicReject(envelope.getDeliveryTag(), false);
                    return;
                }
                try {
                    ch.basicPublish("", properties.getReplyTo(), null, AugmentWorker.bytes(worker.work(task)));
                    ch.waitForConfirmsOrDie(10_000);
                } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
                    ch.basicNack(envelope.getDeliveryTag(), false, true);
                    return;
                }
                ch.basicAck(envelope.getDeliveryTag(), false);
                done.incrementAndGet();
            }
        });
    }
}
