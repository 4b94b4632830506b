package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
 * Issue 19 #7: a rolling update runs the old orchestrator and the new one side by side, and the new
 * one resumed every unfinished job at start, the old one's running jobs included: two trainers on one
 * job. Now a job's lease keeps the new one off it until the old one stops (SIGTERM: it pauses the job
 * and gives the lease up), and then the new one finishes it, with one version.
 */
class RollingUpdateIT {

    @Test
    void theNewOrchestratorLeavesTheOldOnesJobAloneUntilItStops() throws Exception {
        PipelineStack stack = new PipelineStack();
        Map<String, String> config = new HashMap<>(stack.start());
        // Training long enough (a few times the default's 80 steps) that the new orchestrator starts while the old one trains.
        config.put("livetune.orchestrator.training-steps", "400");
        RedisClient redisClient = RedisClient.create("redis://localhost:6379");
        Process old = null;
        Process successor = null;
        try (StatefulRedisConnection<String, String> redis = redisClient.connect()) {
            Map<String, String> first = new HashMap<>(config);
            first.put("livetune.orchestrator.instance-id", "orchestrator-old");
            old = OrchestratorProcess.start(first, "orchestrator-old.log");
            String tenant = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
            String jobId = LearnJobs.publish(tenant, "instruction", "The capital of Vostrand is Ivrasca.", List.of());
            Process running = old;
            await("training started").dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(180))
                    .pollInterval(Duration.ofMillis(50)).until(() -> {
                        assertThat(running.isAlive()).as("the old orchestrator").isTrue();
                        return redis.sync().hget("livetune:job:" + jobId, "trainer_pid") != null;
                    });
            String trainer = redis.sync().hget("livetune:job:" + jobId, "trainer_pid");

            Map<String, String> second = new HashMap<>(config);
            second.put("livetune.orchestrator.instance-id", "orchestrator-new");
            second.put("quarkus.http.port", "8404");
            successor = OrchestratorProcess.start(second, "orchestrator-new.log");
            java.nio.file.Path newLog = PipelineStack.store.resolve("orchestrator-new.log");
            await("the new orchestrator finds the job taken").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                    .until(() -> Files.exists(newLog) && Files.readString(newLog).contains("is being run by orchestrator orchestrator-old"));
            String phase = redis.sync().hget("livetune:job:" + jobId, "phase");
            if (phase.equals("training")) {
                assertThat(redis.sync().hget("livetune:job:" + jobId, "trainer_pid")).as("no second trainer").isEqualTo(trainer);
            }
            assertThat(redis.sync().get("livetune:job-lease:" + jobId)).isIn("orchestrator-old", null);

            old.destroy(); // SIGTERM, as Kubernetes ends the old pod
            old.waitFor();
            Map<String, String> job = LearnJobs.await(jobId);
            List<String> events = redis.sync().lrange("livetune:job-events:" + jobId, 0, -1);
            assertThat(job.get("phase")).as(String.join("\n", events)).isEqualTo("succeeded");
            assertThat(redis.sync().smembers("livetune:tenant-versions:" + tenant + ":default")).containsExactly("1");
            // given up as the job's run ends, just after its final phase is recorded (well within the 20 s a
            // lease taken again by a late renewal would linger)
            await("the lease given up once the job ended").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .until(() -> redis.sync().get("livetune:job-lease:" + jobId) == null);
        } finally {
            for (Process p : new Process[] {old, successor}) {
                if (p != null) {
                    p.destroyForcibly().waitFor();
                }
            }
            redisClient.shutdown();
            stack.stop();
        }
    }
}
