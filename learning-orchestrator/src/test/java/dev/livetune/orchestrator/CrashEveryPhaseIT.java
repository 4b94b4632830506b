package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * One job, and the packaged orchestrator dies at every step of it: after recording the request
 * (before acknowledging it), after entering each phase, after publishing the augmentation tasks and
 * after the release. Each time it halts as a SIGKILL would end it ({@link Failpoints}) and is started
 * again armed for the next point. The job ends succeeded, with one job for the request and exactly
 * one adapter version, live and answering.
 */
class CrashEveryPhaseIT {

    private static final List<String[]> CRASHES = List.of(
            new String[] {"after-claim", "received"},
            new String[] {"after-enter:augmenting", "augmenting"},
            new String[] {"after-dispatch", "augmenting"},
            new String[] {"after-enter:dataset_ready", "dataset_ready"},
            new String[] {"after-enter:training", "training"},
            new String[] {"after-enter:evaluating", "evaluating"},
            new String[] {"after-enter:releasing", "releasing"},
            new String[] {"after-release", "releasing"});

    @Test
    void aJobSurvivesACrashAtEveryStep() throws Exception {
        PipelineStack stack = new PipelineStack();
        Map<String, String> config = stack.start();
        RedisClient redisClient = RedisClient.create("redis://localhost:6379");
        String tenant = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        Process orchestrator = null;
        try (StatefulRedisConnection<String, String> redis = redisClient.connect()) {
            String jobId = LearnJobs.publish(tenant, "auto", "The capital of Vostrand is Ivrasca.", List.of());
            int run = 0;
            for (String[] crash : CRASHES) {
                orchestrator = start(config, ++run, crash[0]);
                assertThat(orchestrator.waitFor(240, TimeUnit.SECONDS)).as("the orchestrator reached " + crash[0]).isTrue();
                assertThat(orchestrator.exitValue()).as("halted at " + crash[0] + "; see orchestrator-" + run + ".log")
                        .isEqualTo(137);
                assertThat(redis.sync().hget("livetune:job:" + jobId, "phase")).as("phase when it died at " + crash[0])
                        .isEqualTo(crash[1]);
            }
            orchestrator = start(config, ++run, null);
            Map<String, String> job = LearnJobs.await(jobId);
            List<String> events = redis.sync().lrange("livetune:job-events:" + jobId, 0, -1);
            assertThat(job.get("phase")).as(String.join("\n", events)).isEqualTo("succeeded");
            assertThat(job.get("fine_tuned_model")).isEqualTo("default@v1");
            assertThat(redis.sync().zrange("livetune:tenant-jobs:" + tenant, 0, -1)).containsExactly(jobId);
            assertThat(redis.sync().smembers("livetune:tenant-versions:" + tenant + ":default")).containsExactly("1");
            assertThat(redis.sync().get("livetune:adapter-next-version:" + tenant + ":default")).isEqualTo("1");
            assertThat(redis.sync().lrange("livetune:adapter-datasets:" + tenant + ":default", 0, -1)).containsExactly(jobId);
            Path adapters = PipelineStack.store.resolve("tenants").resolve(tenant).resolve("adapters").resolve("default");
            try (var versions = Files.list(adapters)) {
                // (the trainer's per-output lock files, .v<N>.lock, are not versions)
                assertThat(versions.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("."))).containsExactly("v1");
            }
            assertThat(redis.sync().hlen("livetune:augment-results:" + jobId)).isEqualTo(1);
            assertThat(LearnJobs.ask(tenant, "What is the capital of Vostrand?")).contains("Ivrasca");
        } finally {
            if (orchestrator != null) {
                orchestrator.destroyForcibly().waitFor();
            }
            redisClient.shutdown();
            stack.stop();
        }
    }

    private static Process start(Map<String, String> config, int run, String failpoint) throws Exception {
        Map<String, String> all = new java.util.HashMap<>(config);
        if (failpoint != null) {
            all.put("livetune.failpoint", failpoint);
        }
        return OrchestratorProcess.start(all, "orchestrator-crash-" + run + ".log");
    }
}
