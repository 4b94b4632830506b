package dev.livetune.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livetune.broker.Broker;
import dev.livetune.broker.InProcessBroker;
import dev.livetune.state.JobStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** A request the gateway recorded but no orchestrator took is published again; others are left alone. */
class UnclaimedRequestsTest {

    @Test
    void republishesOnlyQueuedJobsNoOrchestratorClaimed() throws Exception {
        try (Socket s = new Socket("localhost", 6379)) {
            // reachable
        } catch (IOException e) {
            throw new IllegalStateException("Redis is not running on localhost:6379; start it (redis-server --daemonize yes)"
                    + " or run the tests through .ci/run");
        }
        RedisClient client = RedisClient.create("redis://localhost:6379");
        String run = UUID.randomUUID().toString().substring(0, 8);
        String lost = "ftjob-unclaimed-" + run;
        String claimed = "ftjob-claimed-" + run;
        String noRequest = "ftjob-norequest-" + run;
        try (StatefulRedisConnection<String, String> c = client.connect(); InProcessBroker broker = new InProcessBroker()) {
            RedisCommands<String, String> redis = c.sync();
            redis.hset("livetune:job:" + lost, Map.of("id", lost, "status", "queued", "request_id", "req-" + lost,
                    "request", "{\"jobId\":\"" + lost + "\"}"));
            redis.hset("livetune:job:" + claimed, Map.of("id", claimed, "status", "running", "phase", "training",
                    "request_id", "req-" + claimed, "request", "{\"jobId\":\"" + claimed + "\"}"));
            redis.hset("livetune:job:" + noRequest, Map.of("id", noRequest, "status", "queued"));

            List<String> sent = UnclaimedRequests.republish(new JobStore(c::sync), broker, "learn-requests-" + run, null);

            assertThat(sent).contains(lost).doesNotContain(claimed, noRequest);
            List<Broker.Message> got = new CopyOnWriteArrayList<>();
            broker.consume("learn-requests-" + run, 10, d -> {
                got.add(d.message());
                d.ack();
            });
            await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
                    .untilAsserted(() -> assertThat(got).as("republished " + lost)
                            .anyMatch(m -> ("req-" + lost).equals(m.messageId())));
            assertThat(got).anySatisfy(m -> {
                assertThat(m.messageId()).isEqualTo("req-" + lost);
                assertThat(new String(m.body(), StandardCharsets.UTF_8)).isEqualTo("{\"jobId\":\"" + lost + "\"}");
            });
            assertThat(got).noneMatch(m -> ("req-" + claimed).equals(m.messageId()));
            redis.del("livetune:job:" + lost, "livetune:job:" + claimed, "livetune:job:" + noRequest);
        } finally {
            client.shutdown();
        }
    }
}
