package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.livetune.api.inference.v1.ChatMessage;
import dev.livetune.api.inference.v1.ChatPrompt;
import dev.livetune.api.inference.v1.GenerateRequest;
import dev.livetune.api.inference.v1.InferenceGrpc;
import dev.livetune.api.inference.v1.SamplingParams;
import dev.livetune.api.learn.LearnRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Instant;
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
        try (StatefulRedisConnection<String, String> redis = client.connect();
                Connection c = new ConnectionFactory().newConnection(); Channel ch = c.createChannel()) {
            ch.queueDeclare(PipelineStack.QUEUE, true, false, false, null);
            String first = publish(ch, tenant, "The capital of Pellidor is Bellmoor.");
            while (!"training".equals(redis.sync().hget("livetune:job:" + first, "phase"))) {
                Thread.sleep(20);
            }
            String second = publish(ch, tenant, "The capital of Rukhara is Sundrel.");
            String third = publish(ch, tenant, "The capital of Toskin is Maplewick.");
            Map<String, String> a = await(redis, first);
            Map<String, String> b = await(redis, second);
            Map<String, String> d = await(redis, third);
            assertThat(a.get("fine_tuned_model")).isEqualTo("default@v1");
            assertThat(List.of(b.get("phase"), d.get("phase"))).containsOnly("succeeded");
            assertThat(b.get("fine_tuned_model")).isEqualTo("default@v2").isEqualTo(d.get("fine_tuned_model"));
            assertThat(b.get("coalesced_into") != null ? b.get("coalesced_into") : d.get("coalesced_into"))
                    .isIn(second, third);
            assertThat(redis.sync().smembers("livetune:tenant-versions:" + tenant + ":default")).containsExactlyInAnyOrder("1", "2");
        } finally {
            client.shutdown();
        }
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", PipelineStack.INFERENCE_PORT).usePlaintext().build();
        try {
            assertThat(ask(channel, tenant, "What is the capital of Rukhara?")).contains("Sundrel");
            assertThat(ask(channel, tenant, "What is the capital of Toskin?")).contains("Maplewick");
        } finally {
            channel.shutdownNow();
        }
    }

    private static String publish(Channel ch, String tenant, String text) throws Exception {
        String jobId = "ftjob-" + UUID.randomUUID().toString().replace("-", "");
        ch.basicPublish("", PipelineStack.QUEUE, null, new ObjectMapper().writeValueAsBytes(new LearnRequest(1,
                UUID.randomUUID().toString(), jobId, tenant, "default", "auto", text, List.of(), null, List.of(),
                Instant.now().toString())));
        return jobId;
    }

    private static Map<String, String> await(StatefulRedisConnection<String, String> redis, String jobId) throws Exception {
        long until = System.currentTimeMillis() + 300_000;
        while (System.currentTimeMillis() < until) {
            Map<String, String> job = redis.sync().hgetall("livetune:job:" + jobId);
            if (job.get("phase") != null && List.of("succeeded", "failed", "cancelled").contains(job.get("phase"))) {
                return job;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("job " + jobId + " did not end");
    }

    private static String ask(ManagedChannel channel, String tenant, String q) {
        StringBuilder text = new StringBuilder();
        InferenceGrpc.newBlockingStub(channel).generate(GenerateRequest.newBuilder().setAdapter(tenant + "/default")
                .setChat(ChatPrompt.newBuilder().addMessages(ChatMessage.newBuilder().setRole("user").setContent(q)))
                .setSampling(SamplingParams.newBuilder().setMaxTokens(48).setTemperature(0)).build())
                .forEachRemaining(c -> text.append(c.getText()));
        return text.toString();
    }
}
