package dev.livetune.orchestrator;

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
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/** What the pipeline tests do as a gateway and a chat client would: publish learn requests, wait for jobs, ask. */
final class LearnJobs {

    private static final List<String> FINAL = List.of("succeeded", "failed", "cancelled");

    private LearnJobs() {
    }

    /** @return the new job's id, once its request is on the test queue */
    static String publish(String tenant, String mode, String text, List<String> fileIds) throws Exception {
        return publish("ftjob-" + UUID.randomUUID().toString().replace("-", ""), tenant, mode, text, fileIds);
    }

    /** @return {@code jobId}, once its request is on the test queue */
    static String publish(String jobId, String tenant, String mode, String text, List<String> fileIds) throws Exception {
        return publish(jobId, tenant, mode, text, fileIds, null);
    }

    /** @return {@code jobId}, once its request, with a fine-tuning client's training choices, is on the test queue */
    static String publish(String jobId, String tenant, String mode, String text, List<String> fileIds,
            dev.livetune.api.learn.TrainingOptions options) throws Exception {
        LearnRequest r = new LearnRequest(1, UUID.randomUUID().toString(), jobId, tenant, "default", mode, text, fileIds,
                null, List.of(), Instant.now().toString(), null).withOptions(options).signed(PipelineStack.GENERATE_SECRET);
        try (Connection c = new ConnectionFactory().newConnection(); Channel ch = c.createChannel()) {
            ch.queueDeclare(PipelineStack.QUEUE, true, false, false, dev.livetune.broker.WorkQueues.arguments(PipelineStack.QUEUE));
            ch.basicPublish("", PipelineStack.QUEUE, null, new ObjectMapper().writeValueAsBytes(r));
        }
        return jobId;
    }

    /** @return the job's record once it has ended (at most 5 minutes) */
    static Map<String, String> await(String jobId) throws Exception {
        RedisClient client = RedisClient.create("redis://localhost:6379");
        try (StatefulRedisConnection<String, String> redis = client.connect()) {
            try {
                return Awaitility.await("job " + jobId + " ending").dontCatchUncaughtExceptions().atMost(Duration.ofMinutes(5))
                        .pollInterval(Duration.ofMillis(200)).until(() -> redis.sync().hgetall("livetune:job:" + jobId),
                                job -> job.get("phase") != null && FINAL.contains(job.get("phase")));
            } catch (ConditionTimeoutException e) {
                throw new AssertionError("job " + jobId + " did not end: "
                        + redis.sync().lrange("livetune:job-events:" + jobId, 0, -1), e);
            }
        } finally {
            client.shutdown();
        }
    }

    static Map<String, String> run(String tenant, String mode, String text, List<String> fileIds) throws Exception {
        return await(publish(tenant, mode, text, fileIds));
    }

    /** @return the greedy answer of the tenant's {@code default} alias to one question */
    static String ask(String tenant, String question) {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", PipelineStack.INFERENCE_PORT).usePlaintext().build();
        try {
            StringBuilder text = new StringBuilder();
            InferenceGrpc.newBlockingStub(channel).generate(GenerateRequest.newBuilder().setAdapter(tenant + "/default")
                    .setChat(ChatPrompt.newBuilder().addMessages(ChatMessage.newBuilder().setRole("user").setContent(question)))
                    .setSampling(SamplingParams.newBuilder().setMaxTokens(48).setTemperature(0)).build())
                    .forEachRemaining(c -> text.append(c.getText()));
            return text.toString();
        } finally {
            channel.shutdownNow();
        }
    }
}
