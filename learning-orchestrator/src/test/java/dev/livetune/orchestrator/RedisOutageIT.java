package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livetune.api.testing.TcpProxy;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 #6: Redis goes away for longer than the orchestrator's command timeout (5 s) while a job
 * trains. Before, the job's failure handler threw in turn and the job stayed active with no one
 * running it until a restart; now it runs again from its last recorded phase once Redis is back, and
 * succeeds with one version, in the same process.
 */
class RedisOutageIT {

    @Test
    void aJobOutlivesRedisGoingAwayWhileItTrains() throws Exception {
        PipelineStack stack = new PipelineStack();
        Map<String, String> config = new HashMap<>(stack.start());
        RedisClient redisClient = RedisClient.create("redis://localhost:6379");
        Process orchestrator = null;
        try (TcpProxy redisPath = new TcpProxy(6379); StatefulRedisConnection<String, String> redis = redisClient.connect()) {
            config.put("livetune.orchestrator.redis-uri", "redis://localhost:" + redisPath.port());
            orchestrator = OrchestratorProcess.start(config, "orchestrator-redis-outage.log");
            String tenant = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
            String jobId = LearnJobs.publish(tenant, "instruction", "The capital of Vostrand is Ivrasca.", List.of());
            Process running = orchestrator;
            await("training started").dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(180))
                    .pollInterval(Duration.ofMillis(20)).until(() -> {
                        assertThat(running.isAlive()).as("the orchestrator").isTrue();
                        return redis.sync().hget("livetune:job:" + jobId, "trainer_pid") != null;
                    });
            redisPath.down();
            // An outage, not a condition to wait for: longer than the orchestrator's Redis command timeout.
            Thread.sleep(7_000);
            redisPath.up();

            Map<String, String> job = LearnJobs.await(jobId);
            List<String> events = redis.sync().lrange("livetune:job-events:" + jobId, 0, -1);
            assertThat(job.get("phase")).as(String.join("\n", events)).isEqualTo("succeeded");
            assertThat(orchestrator.isAlive()).as("the same orchestrator, not a restarted one").isTrue();
            assertThat(Files.readString(PipelineStack.store.resolve("orchestrator-redis-outage.log")))
                    .as("the job met the outage").contains("could not be recorded");
            assertThat(redis.sync().smembers("livetune:tenant-versions:" + tenant + ":default")).containsExactly("1");
            assertThat(redis.sync().sismember("livetune:jobs:active", jobId)).isFalse();
        } finally {
            if (orchestrator != null) {
                orchestrator.destroyForcibly().waitFor();
            }
            redisClient.shutdown();
            stack.stop();
        }
    }
}
