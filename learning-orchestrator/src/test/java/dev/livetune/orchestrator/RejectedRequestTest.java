package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livetune.state.JobStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A learn request whose publish the broker confirmed too late: the gateway rejected its job and told
 * the client 503, and RabbitMQ delivers the request anyway. The orchestrator acknowledges it and
 * drops it: no job runs, nothing is trained. (The gateway's side: {@code LearnTest}.)
 */
@QuarkusTest
@QuarkusTestResource(PipelineStack.class)
class RejectedRequestTest {

    @Test
    void aRequestTheGatewayRejectedIsNeverLearned() throws Exception {
        String tenant = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        String rejected = "ftjob-" + UUID.randomUUID().toString().replace("-", "");
        RedisClient client = RedisClient.create("redis://localhost:6379");
        try (StatefulRedisConnection<String, String> redis = client.connect()) {
            JobStore jobs = new JobStore(redis::sync);
            // as the gateway does: record, publish, reject when the confirm does not come in time; here
            // the broker delivers the request only after the rejection
            jobs.recordQueued(rejected, Map.of("id", rejected, "tenant", tenant, "adapter", "default", "status", "queued"));
            assertThat(jobs.reject(rejected)).isTrue();
            LearnJobs.publish(rejected, tenant, "instruction", "The capital of Quarnis is Fellwick.", List.of());
            // a request after it on the same queue: once it has ended, the rejected one was handled
            Map<String, String> after = LearnJobs.await(LearnJobs.publish(tenant, "rollback", "5", List.of()));
            assertThat(after.get("phase")).isEqualTo("failed");

            Map<String, String> job = jobs.get(rejected);
            assertThat(job).containsEntry("acceptance", "rejected").doesNotContainKey("phase").containsEntry("status", "queued");
            assertThat(jobs.active()).doesNotContain(rejected);
            assertThat(jobs.ofTenant(tenant)).doesNotContain(rejected);
            assertThat(jobs.events(rejected, 0)).isEmpty();
            assertThat(redis.sync().smembers("livetune:tenant-versions:" + tenant + ":default")).isEmpty();
        } finally {
            client.shutdown();
        }
    }
}
