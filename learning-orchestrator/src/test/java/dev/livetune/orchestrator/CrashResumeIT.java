package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.livetune.api.learn.LearnRequest;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The packaged orchestrator is killed (SIGKILL) while a job trains, leaving its trainer orphaned,
 * and started again: the job resumes, the orphan is ended, and the job succeeds with exactly one
 * adapter version.
 */
class CrashResumeIT {

    @Test
    void aJobSurvivesTheOrchestratorBeingKilledWhileItTrains() throws Exception {
        PipelineStack stack = new PipelineStack();
        Map<String, String> config = stack.start();
        RedisClient redisClient = RedisClient.create("redis://localhost:6379");
        Process orchestrator = null;
        try (StatefulRedisConnection<String, String> redis = redisClient.connect()) {
            orchestrator = start(config, 1);
            String tenant = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
            String jobId = "ftjob-" + UUID.randomUUID().toString().replace("-", "");
            LearnRequest request = new LearnRequest(1, UUID.randomUUID().toString(), jobId, tenant, "default", "auto",
                    "The capital of Vostrand is Ivrasca.", List.of(), null, List.of(), Instant.now().toString(), null)
                    .signed(PipelineStack.GENERATE_SECRET);
            try (Connection c = new ConnectionFactory().newConnection(); Channel ch = c.createChannel()) {
                ch.queueDeclare(PipelineStack.QUEUE, true, false, false, dev.livetune.broker.WorkQueues.arguments(PipelineStack.QUEUE));
                ch.basicPublish("", PipelineStack.QUEUE, null, new ObjectMapper().writeValueAsBytes(request));
            }
            Process first = orchestrator;
            await("training started").dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(180))
                    .pollInterval(Duration.ofMillis(50)).until(() -> {
                        if (redis.sync().hget("livetune:job:" + jobId, "trainer_pid") != null) {
                            return true;
                        }
                        assertThat(first.isAlive()).isTrue(); // a dead orchestrator fails at once
                        return false;
                    });
            // Not a wait for a condition: the orchestrator is left to run the trainer a while, so that the
            // SIGKILL below lands in the middle of training.
            Thread.sleep(1500);
            long trainer = Long.parseLong(redis.sync().hget("livetune:job:" + jobId, "trainer_pid"));
            orchestrator.destroyForcibly().waitFor();
            assertThat(redis.sync().hget("livetune:job:" + jobId, "phase")).isEqualTo("training");

            orchestrator = start(config, 2);
            Map<String, String> job = LearnJobs.await(jobId);
            List<String> events = redis.sync().lrange("livetune:job-events:" + jobId, 0, -1);
            assertThat(job.get("phase")).as(String.join("\n", events)).isEqualTo("succeeded");
            assertThat(ProcessHandle.of(trainer).map(ProcessHandle::isAlive).orElse(false)).as("the orphaned trainer").isFalse();
            assertThat(redis.sync().smembers("livetune:tenant-versions:" + tenant + ":default")).containsExactly("1");
            assertThat(redis.sync().get("livetune:adapter-next-version:" + tenant + ":default")).isEqualTo("1");
            assertThat(job.get("fine_tuned_model")).isEqualTo("default@v1");
        } finally {
            if (orchestrator != null) {
                orchestrator.destroyForcibly().waitFor();
            }
            redisClient.shutdown();
            stack.stop();
        }
    }

    private static Process start(Map<String, String> config, int run) throws Exception {
        return OrchestratorProcess.start(config, "orchestrator-" + run + ".log");
    }
}
