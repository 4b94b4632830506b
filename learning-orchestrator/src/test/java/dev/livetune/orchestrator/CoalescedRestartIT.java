package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The packaged orchestrator (two workers) dies just after a job took in a request that arrived while
 * its adapter trained, and is started again. On restart the two coalesced jobs come back in whatever
 * order Redis lists them; before the adapter lanes, a follower that came first held the adapter's
 * lock and a worker while it waited for its leader, the leader held the other worker waiting for that
 * lock, and no job of any tenant ran again. Now all of them end: the first job, the two coalesced ones
 * (with one version between them) and another tenant's job sent after the restart.
 */
class CoalescedRestartIT {

    @Test
    void coalescedJobsAndAnotherTenantsJobFinishAfterARestart() throws Exception {
        PipelineStack stack = new PipelineStack();
        Map<String, String> config = stack.start();
        RedisClient redisClient = RedisClient.create("redis://localhost:6379");
        String tenant = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        String other = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        Process orchestrator = null;
        try (StatefulRedisConnection<String, String> redis = redisClient.connect()) {
            Map<String, String> armed = new HashMap<>(config);
            armed.put("livetune.orchestrator.workers", "2");
            armed.put("livetune.failpoint", "after-coalesce");
            orchestrator = OrchestratorProcess.start(armed, "orchestrator-1.log");
            String first = LearnJobs.publish(tenant, "auto", "The capital of Pellidor is Bellmoor.", List.of());
            Process running = orchestrator;
            await("job " + first + " training").dontCatchUncaughtExceptions().atMost(Duration.ofMinutes(4))
                    .pollInterval(Duration.ofMillis(20)).until(() -> {
                        assertThat(running.isAlive()).as("the orchestrator, before the failpoint; see orchestrator-1.log")
                                .isTrue();
                        return "training".equals(redis.sync().hget("livetune:job:" + first, "phase"));
                    });
            String second = LearnJobs.publish(tenant, "auto", "The capital of Rukhara is Sundrel.", List.of());
            String third = LearnJobs.publish(tenant, "auto", "The capital of Toskin is Maplewick.", List.of());
            assertThat(orchestrator.waitFor(240, TimeUnit.SECONDS)).as("the orchestrator reached after-coalesce").isTrue();
            assertThat(orchestrator.exitValue()).as("halted at after-coalesce; see orchestrator-1.log").isEqualTo(137);
            Map<String, String> b = redis.sync().hgetall("livetune:job:" + second);
            Map<String, String> c = redis.sync().hgetall("livetune:job:" + third);
            String follower = b.get("coalesced_into") != null ? second : third;
            String leader = follower.equals(second) ? third : second;
            assertThat(redis.sync().hget("livetune:job:" + follower, "coalesced_into")).isEqualTo(leader);
            assertThat(List.of(b.get("phase"), c.get("phase"))).containsOnly("received");

            Map<String, String> plain = new HashMap<>(config);
            plain.put("livetune.orchestrator.workers", "2");
            orchestrator = OrchestratorProcess.start(plain, "orchestrator-2.log");
            String another = LearnJobs.publish(other, "auto", "The capital of Varnholt is Quessy.", List.of());
            Map<String, String> l = LearnJobs.await(leader);
            Map<String, String> f = LearnJobs.await(follower);
            Map<String, String> a = LearnJobs.await(first);
            Map<String, String> o = LearnJobs.await(another);
            List<String> events = redis.sync().lrange("livetune:job-events:" + follower, 0, -1);
            assertThat(List.of(a.get("phase"), l.get("phase"), f.get("phase"), o.get("phase"))).as(String.join("\n", events))
                    .containsOnly("succeeded");
            assertThat(a.get("fine_tuned_model")).isEqualTo("default@v1");
            assertThat(l.get("fine_tuned_model")).isEqualTo("default@v2").isEqualTo(f.get("fine_tuned_model"));
            assertThat(o.get("fine_tuned_model")).isEqualTo("default@v1");
            assertThat(redis.sync().smembers("livetune:tenant-versions:" + tenant + ":default"))
                    .containsExactlyInAnyOrder("1", "2");
        } finally {
            if (orchestrator != null) {
                orchestrator.destroyForcibly().waitFor();
            }
            redisClient.shutdown();
            stack.stop();
        }
    }
}
