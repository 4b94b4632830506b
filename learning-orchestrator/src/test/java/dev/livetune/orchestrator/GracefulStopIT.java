package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The packaged orchestrator is stopped as Kubernetes stops a pod in a rolling update (SIGTERM) while a
 * job trains, and started again: the job is not failed, stays in its phase (or ends, if its trainer
 * finished meanwhile), and the next orchestrator resumes it to the end. Whether the old code failed
 * such a job depended on the order the shutdown closed things in (the worker's interrupt had to reach
 * Redis before its connection closed); here it did not, so this test shows the resume, and the pause
 * itself ({@code Pipeline.paused}) is not proven by it.
 */
class GracefulStopIT {

    @Test
    void aJobInterruptedByASigtermIsPausedNotFailed() throws Exception {
        PipelineStack stack = new PipelineStack();
        Map<String, String> config = stack.start();
        RedisClient redisClient = RedisClient.create("redis://localhost:6379");
        Process orchestrator = null;
        try (StatefulRedisConnection<String, String> redis = redisClient.connect()) {
            orchestrator = OrchestratorProcess.start(config, "orchestrator-1.log");
            String tenant = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
            String jobId = LearnJobs.publish(tenant, "auto", "The capital of Ostravel is Minnow.", List.of());
            Process first = orchestrator;
            await("training started").dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(180))
                    .pollInterval(Duration.ofMillis(50)).until(() -> {
                        assertThat(first.isAlive()).as("the orchestrator; see orchestrator-1.log").isTrue();
                        return redis.sync().hget("livetune:job:" + jobId, "trainer_pid") != null;
                    });
            orchestrator.destroy(); // SIGTERM
            assertThat(orchestrator.waitFor(60, TimeUnit.SECONDS)).as("the orchestrator stopped").isTrue();
            Map<String, String> stopped = redis.sync().hgetall("livetune:job:" + jobId);
            List<String> events = redis.sync().lrange("livetune:job-events:" + jobId, 0, -1);
            // (the trainer, a process of its own, may have finished while the orchestrator stopped)
            assertThat(stopped.get("phase")).as(String.join("\n", events)).isIn("training", "evaluating", "releasing", "succeeded");
            if (!stopped.get("phase").equals("succeeded")) {
                assertThat(stopped.get("status")).isEqualTo("running");
                assertThat(redis.sync().smembers("livetune:jobs:active")).contains(jobId);
            }

            orchestrator = OrchestratorProcess.start(config, "orchestrator-2.log");
            Map<String, String> job = LearnJobs.await(jobId);
            events = redis.sync().lrange("livetune:job-events:" + jobId, 0, -1);
            assertThat(job.get("phase")).as(String.join("\n", events)).isEqualTo("succeeded");
            assertThat(job.get("fine_tuned_model")).isEqualTo("default@v1");
            assertThat(events).noneMatch(e -> e.contains("\"level\":\"error\""));
        } finally {
            if (orchestrator != null) {
                orchestrator.destroyForcibly().waitFor();
            }
            redisClient.shutdown();
            stack.stop();
        }
    }
}
