package dev.livetune.augment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.augment.AugmentResult;
import dev.livetune.api.augment.AugmentTask;
import dev.livetune.broker.Broker;
import dev.livetune.broker.InProcessBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The worker with no RabbitMQ, as standalone runs it: tasks in, results on the reply-to queue, poison aside. */
class AugmentWorkerInProcessTest {

    @Test
    void answersEveryTaskOnItsReplyQueueAndDeadLettersPoison() throws Exception {
        ObjectMapper json = new ObjectMapper();
        try (InProcessBroker broker = new InProcessBroker()) {
            Augmenter augmenter = new Augmenter(t -> new RulesTeacher(), QualityFilter.defaults(), Optional.empty(),
                    new SafeFetcher(Set.of(), 1 << 20, Duration.ofSeconds(2)), 1, "in-process");
            broker.declare("replies");
            List<AugmentResult> results = new CopyOnWriteArrayList<>();
            List<String> dead = new CopyOnWriteArrayList<>();
            try (AugmentWorker worker = new AugmentWorker(broker, new AugmentWorker.Settings("tasks", "results", 2, 2), augmenter)
                    .start();
                    Broker.Subscription r = broker.consume("replies", 10, d -> {
                        results.add(json.readValue(d.message().body(), AugmentResult.class));
                        d.ack();
                    });
                    Broker.Subscription p = broker.consume("tasks.dead", 1, d -> {
                        dead.add(new String(d.message().body(), StandardCharsets.UTF_8));
                        d.ack();
                    })) {
                for (int i = 0; i < 6; i++) {
                    AugmentTask t = new AugmentTask(1, "job/" + i, "job", "req-" + i, "acme", "default", AugmentTask.STATEMENTS,
                            "The capital of Land" + i + " is City" + i + ".", List.of(), "message", "", 0, 4, null);
                    broker.publish("tasks", new Broker.Message(json.writeValueAsBytes(t), t.taskId(), "replies"));
                }
                broker.publish("tasks", Broker.Message.of("not a task".getBytes(StandardCharsets.UTF_8)));
                await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                        .untilAsserted(() -> {
                            assertThat(results).as("results on the reply queue").hasSizeGreaterThanOrEqualTo(6);
                            assertThat(dead).as("the poison message dead-lettered").isNotEmpty();
                        });
                assertThat(results).extracting(AugmentResult::taskId).containsExactlyInAnyOrder("job/0", "job/1", "job/2",
                        "job/3", "job/4", "job/5");
                assertThat(results).allSatisfy(res -> assertThat(res.samples()).isNotEmpty());
                assertThat(dead).containsExactly("not a task");
                assertThat(worker.done()).isEqualTo(6);
            }
        }
    }
}
