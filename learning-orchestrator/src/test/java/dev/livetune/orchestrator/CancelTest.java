package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Cancelling (the flag the gateway's {@code POST /v1/fine_tuning/jobs/{id}/cancel} sets): a job
 * cancelled while it trains ends cancelled, its trainer is ended and nothing is released; a job
 * cancelled before the orchestrator gets to it never starts.
 */
@QuarkusTest
@QuarkusTestResource(PipelineStack.class)
class CancelTest {

    @Test
    void aJobIsCancelledWhileItTrainsAndBeforeItStarts() throws Exception {
        String tenant = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        RedisClient client = RedisClient.create("redis://localhost:6379");
        try (StatefulRedisConnection<String, String> redis = client.connect()) {
            String training = LearnJobs.publish(tenant, "instruction", "The capital of Norvale is Brisk.", List.of());
            await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(50))
                    .untilAsserted(() -> assertThat(redis.sync().hget("livetune:job:" + training, "trainer_pid"))
                            .as("training started").isNotNull());
            long trainer = Long.parseLong(redis.sync().hget("livetune:job:" + training, "trainer_pid"));
            redis.sync().hset("livetune:job:" + training, Map.of("cancel_requested", "true"));
            Map<String, String> job = LearnJobs.await(training);
            assertThat(job.get("phase")).isEqualTo("cancelled");
            assertThat(ProcessHandle.of(trainer).map(ProcessHandle::isAlive).orElse(false)).as("the trainer").isFalse();
            assertThat(redis.sync().get("livetune:tenant-live:" + tenant + ":default")).as("nothing released").isNull();
            assertThat(Files.exists(PipelineStack.store.resolve("tenants/" + tenant + "/adapters/default/v1/livetune.json")))
                    .as("no finished adapter").isFalse();

            String early = LearnJobs.publish(tenant, "instruction", "The capital of Ostmark is Tellin.", List.of());
            redis.sync().hset("livetune:job:" + early, Map.of("cancel_requested", "true"));
            Map<String, String> never = LearnJobs.await(early);
            assertThat(never.get("phase")).isEqualTo("cancelled");
            assertThat(never.get("version")).as("no version allocated").isNull();
            assertThat(redis.sync().lrange("livetune:job-events:" + early, 0, -1)).noneMatch(e -> e.contains("Training"));
        } finally {
            client.shutdown();
        }
    }
}
