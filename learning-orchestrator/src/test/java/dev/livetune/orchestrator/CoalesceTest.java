package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Two requests that arrive while the adapter trains are taught together in the next training: one
 * job carries both, the other ends with it, and both facts are in the one new version.
 */
@QuarkusTest
@QuarkusTestResource(PipelineStack.class)
class CoalesceTest {

    @Test
    void requestsArrivingDuringATrainingShareTheNextOne() throws Exception {
        String tenant = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        RedisClient client = RedisClient.create("redis://localhost:6379");
        try (StatefulRedisConnection<String, String> redis = client.connect()) {
            String first = LearnJobs.publish(tenant, "auto", "The capital of Pellidor is Bellmoor.", List.of());
            // (within the 5 minutes LearnJobs.await gives a whole job)
            await("job " + first + " training").dontCatchUncaughtExceptions().atMost(Duration.ofMinutes(5))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> "training".equals(redis.sync().hget("livetune:job:" + first, "phase")));
            String second = LearnJobs.publish(tenant, "auto", "The capital of Rukhara is Sundrel.", List.of());
            String third = LearnJobs.publish(tenant, "auto", "The capital of Toskin is Maplewick.", List.of());
            Map<String, String> a = LearnJobs.await(first);
            Map<String, String> b = LearnJobs.await(second);
            Map<String, String> d = LearnJobs.await(third);
            assertThat(a.get("fine_tuned_model")).isEqualTo("default@v1");
            assertThat(List.of(b.get("phase"), d.get("phase"))).containsOnly("succeeded");
            assertThat(b.get("fine_tuned_model")).isEqualTo("default@v2").isEqualTo(d.get("fine_tuned_model"));
            assertThat(b.get("coalesced_into") != null ? b.get("coalesced_into") : d.get("coalesced_into"))
                    .isIn(second, third);
            assertThat(redis.sync().smembers("livetune:tenant-versions:" + tenant + ":default")).containsExactlyInAnyOrder("1", "2");
        } finally {
            client.shutdown();
        }
        assertThat(LearnJobs.ask(tenant, "What is the capital of Rukhara?")).contains("Sundrel");
        assertThat(LearnJobs.ask(tenant, "What is the capital of Toskin?")).contains("Maplewick");
    }

    /**
     * Issue 19 #2: a job waiting for its adapter held a worker, so one tenant's queue of jobs for one
     * adapter took both workers and another tenant waited behind all of it. With the adapter lanes the
     * queue holds one worker: the other tenant's job runs beside the first training and ends before
     * the queue's next training does.
     */
    @Test
    void anotherTenantsJobDoesNotWaitBehindOneTenantsQueue() throws Exception {
        String busy = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        String other = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        String a1 = LearnJobs.publish(busy, "instruction", "The capital of Vellor is Amberlee.", List.of());
        String a2 = LearnJobs.publish(busy, "instruction", "The capital of Quessa is Dornhill.", List.of());
        String a3 = LearnJobs.publish(busy, "instruction", "The capital of Marrin is Oakhollow.", List.of());
        String b = LearnJobs.publish(other, "instruction", "The capital of Tirwen is Saltmere.", List.of());
        Map<String, String> first = LearnJobs.await(a1);
        Map<String, String> theOther = LearnJobs.await(b);
        Map<String, String> second = LearnJobs.await(a2);
        Map<String, String> third = LearnJobs.await(a3);
        assertThat(List.of(first, theOther, second, third)).extracting(j -> j.get("phase")).containsOnly("succeeded");
        assertThat(first.get("fine_tuned_model")).isEqualTo("default@v1");
        assertThat(List.of(second.get("fine_tuned_model"), third.get("fine_tuned_model"))).as("the queue's later trainings")
                .doesNotContain("default@v1");
        long queueNext = Math.min(Long.parseLong(second.get("finished_at")), Long.parseLong(third.get("finished_at")));
        assertThat(Long.parseLong(theOther.get("finished_at"))).as("the other tenant's job ended no later than the busy tenant's"
                + " second training").isLessThanOrEqualTo(queueNext);
    }
}
