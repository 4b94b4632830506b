package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livetune.api.inference.v1.ChatMessage;
import dev.livetune.api.inference.v1.ChatPrompt;
import dev.livetune.api.inference.v1.GenerateRequest;
import dev.livetune.api.inference.v1.InferenceGrpc;
import dev.livetune.api.inference.v1.SamplingParams;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A version that fails the eval gate (here the tenant's own policy, set between two jobs) is never
 * released: the job fails with the scores and the alias keeps serving the version that was live.
 * And a job whose augmentation tasks nobody takes fails after {@code augment-timeout}, saying so.
 */
class EvalGateIT {

    @Test
    void aFailingVersionNeverReplacesTheLiveOne() throws Exception {
        PipelineStack stack = new PipelineStack();
        Map<String, String> config = stack.start();
        RedisClient redisClient = RedisClient.create("redis://localhost:6379");
        String tenant = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        Process orchestrator = null;
        try (StatefulRedisConnection<String, String> redis = redisClient.connect()) {
            orchestrator = start(config, Map.of(), 1);
            String first = LearnJobs.publish(tenant, "auto", "The capital of Pellidor is Bellmoor.", List.of());
            assertThat(LearnJobs.await(first).get("phase")).isEqualTo("succeeded");

            // The tenant's policy now asks for more than any version can give.
            redis.sync().hset("livetune:tenant-policy:" + tenant, Map.of("min_new_recall", "1.01"));
            String second = LearnJobs.publish(tenant, "auto", "The capital of Rukhara is Sundrel.", List.of());
            Map<String, String> job = LearnJobs.await(second);
            assertThat(job.get("phase")).isEqualTo("failed");
            assertThat(job.get("error")).contains("eval gate").contains("recall");
            assertThat(redis.sync().get("livetune:tenant-live:" + tenant + ":default")).isEqualTo("1");
            assertThat(redis.sync().smembers("livetune:tenant-versions:" + tenant + ":default")).containsExactly("1");

            ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", PipelineStack.INFERENCE_PORT).usePlaintext().build();
            try {
                var it = InferenceGrpc.newBlockingStub(channel).generate(GenerateRequest.newBuilder().setAdapter(tenant + "/default")
                        .setChat(ChatPrompt.newBuilder().addMessages(ChatMessage.newBuilder().setRole("user").setContent("Hi")))
                        .setSampling(SamplingParams.newBuilder().setMaxTokens(2).setTemperature(0)).build());
                assertThat(it.next().getServedBy()).isEqualTo(tenant + "/default@v1");
                it.forEachRemaining(c -> { });
            } finally {
                channel.shutdownNow();
            }

            // No worker consumes the task queue: the job fails once augment-timeout has passed, saying why.
            orchestrator.destroy();
            orchestrator.waitFor();
            orchestrator = start(config, Map.of("livetune.orchestrator.augment-tasks-queue", "augment-tasks-nobody-consumes",
                    "livetune.orchestrator.augment-timeout", "3s"), 2);
            String unserved = LearnJobs.publish(tenant, "auto", "The capital of Ternis is Olbrook.", List.of());
            Map<String, String> timedOut = LearnJobs.await(unserved);
            assertThat(timedOut.get("phase")).isEqualTo("failed");
            assertThat(timedOut.get("error")).contains("augmentation timed out: 0 of 1 task(s) came back within 3 s")
                    .contains("augment-tasks-nobody-consumes");
            AugmentWorkers.deleteQueue("augment-tasks-nobody-consumes", "augment-tasks-nobody-consumes.dead");
        } finally {
            if (orchestrator != null) {
                orchestrator.destroyForcibly().waitFor();
            }
            redisClient.shutdown();
            stack.stop();
        }
    }

    private static Process start(Map<String, String> config, Map<String, String> overrides, int run) throws Exception {
        Map<String, String> all = new HashMap<>(config);
        all.putAll(overrides);
        return OrchestratorProcess.start(all, "orchestrator-gate-" + run + ".log");
    }
}
