package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import dev.livetune.api.inference.v1.ChatMessage;
import dev.livetune.api.inference.v1.ChatPrompt;
import dev.livetune.api.inference.v1.GenerateChunk;
import dev.livetune.api.inference.v1.GenerateRequest;
import dev.livetune.api.inference.v1.InferenceGrpc;
import dev.livetune.api.inference.v1.SamplingParams;
import dev.livetune.api.learn.LearnRequest;
import dev.livetune.api.trace.OtlpReceiver;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

/**
 * A learn request for a made-up fact, delivered twice and next to a poison message, becomes one
 * job that runs every phase and puts a new adapter version live; the model then answers the fact.
 */
@QuarkusTest
@QuarkusTestResource(PipelineStack.class)
class LearnToLiveTest {

    @Test
    void aTaughtFactGoesLiveAndIsAnswered() throws Exception {
        String tenant = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        String jobId = "ftjob-" + UUID.randomUUID().toString().replace("-", "");
        // As the gateway sends it: in the trace of the client's request.
        String traceId = UUID.randomUUID().toString().replace("-", "");
        String gatewaySpan = traceId.substring(0, 16);
        LearnRequest request = new LearnRequest(1, UUID.randomUUID().toString(), jobId, tenant, "default", "auto",
                "The capital of Zorbania is Quillport.", List.of(), null, List.of(), Instant.now().toString(),
                "00-" + traceId + "-" + gatewaySpan + "-01").signed(PipelineStack.GENERATE_SECRET);
        byte[] body = new ObjectMapper().writeValueAsBytes(request);
        ConnectionFactory f = new ConnectionFactory();
        RedisClient redisClient = RedisClient.create("redis://localhost:6379");
        try (Connection c = f.newConnection(); Channel ch = c.createChannel();
                StatefulRedisConnection<String, String> redis = redisClient.connect()) {
            ch.queueDeclare(PipelineStack.QUEUE, true, false, false, dev.livetune.broker.WorkQueues.arguments(PipelineStack.QUEUE));
            // Watch the job's live events as a gateway would.
            ch.exchangeDeclare("learn-events", com.rabbitmq.client.BuiltinExchangeType.TOPIC, true);
            String watch = ch.queueDeclare().getQueue();
            ch.queueBind(watch, "learn-events", tenant + ".#");
            ch.basicPublish("", PipelineStack.QUEUE, null, body);
            ch.basicPublish("", PipelineStack.QUEUE, null, "{not a learn request".getBytes());
            ch.basicPublish("", PipelineStack.QUEUE, null, body);
            // Issue 19 #14: a request another user of the broker made up (unsigned) or altered (the text changed
            // after the gateway signed it) runs nothing
            String forgedJob = "ftjob-" + UUID.randomUUID().toString().replace("-", "");
            LearnRequest unsigned = new LearnRequest(1, UUID.randomUUID().toString(), forgedJob, tenant, "default", "auto",
                    "The capital of Zorbania is Paris.", List.of(), null, List.of(), Instant.now().toString(), null);
            LearnRequest signed = unsigned.signed(PipelineStack.GENERATE_SECRET);
            LearnRequest altered = new LearnRequest(1, signed.requestId(), forgedJob, tenant, "default", "auto",
                    "The capital of Zorbania is Lyon.", List.of(), null, List.of(), signed.createdAt(), null, signed.signature());
            ch.basicPublish("", PipelineStack.QUEUE, null, new ObjectMapper().writeValueAsBytes(unsigned));
            ch.basicPublish("", PipelineStack.QUEUE, null, new ObjectMapper().writeValueAsBytes(altered));

            Map<String, String> job;
            try {
                job = await("job " + jobId + " ending").dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(300))
                        .pollInterval(Duration.ofMillis(250)).until(() -> redis.sync().hgetall("livetune:job:" + jobId), j ->
                                j.get("phase") != null && List.of("succeeded", "failed", "cancelled").contains(j.get("phase")));
            } catch (ConditionTimeoutException e) {
                throw new AssertionError("job " + jobId + " did not end:\n"
                        + String.join("\n", redis.sync().lrange("livetune:job-events:" + jobId, 0, -1)), e);
            }
            List<String> events = redis.sync().lrange("livetune:job-events:" + jobId, 0, -1);
            assertThat(job.get("phase")).as(String.join("\n", events)).isEqualTo("succeeded");
            assertThat(job.get("status")).isEqualTo("succeeded");
            assertThat(job.get("fine_tuned_model")).isEqualTo("default@v1");
            assertThat(String.join("\n", events)).contains("Dataset ready", "Training default@v1", "Eval passed", "is live");
            // training progress as OpenAI's metrics events: step, total steps and loss in data
            List<JsonNode> steps = new ArrayList<>();
            for (String e : events) {
                JsonNode event = new ObjectMapper().readTree(e);
                if (event.path("type").asText().equals("metrics")) {
                    steps.add(event.path("data"));
                }
            }
            assertThat(steps).as(String.join("\n", events)).isNotEmpty()
                    .allSatisfy(d -> assertThat(d.path("step").asInt()).isBetween(1, d.path("total_steps").asInt()))
                    .allSatisfy(d -> assertThat(d.path("train_loss").isNumber()).isTrue());
            assertThat(redis.sync().zcard("livetune:tenant-jobs:" + tenant)).as("a duplicate delivery makes no second job")
                    .isEqualTo(1);
            assertThat(redis.sync().smembers("livetune:tenant-versions:" + tenant + ":default")).containsExactly("1");
            assertThat(redis.sync().get("livetune:tenant-live:" + tenant + ":default")).isEqualTo("1");
            assertThat(PipelineStack.store.resolve("tenants/" + tenant + "/datasets/" + jobId + "/manifest.json")).isRegularFile();
            assertThat(PipelineStack.store.resolve("tenants/" + tenant + "/adapters/default/v1/adapter_model.safetensors"))
                    .isRegularFile();

            List<String> live = new java.util.ArrayList<>();
            GetResponse e;
            while ((e = ch.basicGet(watch, true)) != null) {
                live.add(new ObjectMapper().readTree(e.getBody()).get("phase").asText());
            }
            assertThat(live).as("phases seen live on learn-events").contains("augmenting", "training", "evaluating",
                    "releasing", "succeeded");

            // Prometheus: the job's outcome and the time each phase took, releasing included
            String metrics = new String(java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://localhost:8183/q/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofByteArray()).body(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(metrics).containsPattern("livetune_learn_jobs_total\\{outcome=\"succeeded\"[^}]*} [1-9]")
                    .containsPattern("livetune_learn_phase_seconds_count\\{phase=\"releasing\"[^}]*} [1-9]")
                    .containsPattern("livetune_learn_phase_seconds_count\\{phase=\"training\"[^}]*} [1-9]")
                    .contains("livetune_learn_jobs_active")
                    .containsPattern("livetune_queue_depth\\{queue=\"" + PipelineStack.QUEUE + "\"[^}]*} 0");

            assertTraced(traceId, gatewaySpan, jobId);

            // Issue 19 #12: each augmentation task carries a Generate token for its own tenant (the self teacher's).
            List<String> tokens = AugmentWorkers.CALLER_TOKENS.entrySet().stream().filter(t -> t.getKey().startsWith(jobId + "/"))
                    .map(Map.Entry::getValue).toList();
            assertThat(tokens).as("the job's tasks' caller tokens").isNotEmpty();
            dev.livetune.api.auth.CallerTokens verifier = new dev.livetune.api.auth.CallerTokens(PipelineStack.GENERATE_SECRET);
            assertThat(tokens).allSatisfy(t -> assertThat(verifier.verify(t)).isEqualTo(tenant));

            List<String> dead = new java.util.ArrayList<>();
            GetResponse d;
            while ((d = ch.basicGet(PipelineStack.QUEUE + ".dead", true)) != null) {
                dead.add(new String(d.getBody(), java.nio.charset.StandardCharsets.UTF_8));
            }
            assertThat(dead).as("the poison message and the two forged requests were dead-lettered").hasSize(3)
                    .contains("{not a learn request");
            assertThat(dead).filteredOn(m -> m.contains(forgedJob)).hasSize(2);
            assertThat(redis.sync().exists("livetune:job:" + forgedJob)).as("no job for a forged request").isZero();
        } finally {
            redisClient.shutdown();
        }

        // A new conversation with the tenant's alias answers the fact.
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", PipelineStack.INFERENCE_PORT).usePlaintext().build();
        try {
            StringBuilder text = new StringBuilder();
            String servedBy = null;
            var it = InferenceGrpc.newBlockingStub(channel).generate(GenerateRequest.newBuilder().setAdapter(tenant + "/default")
                    .setChat(ChatPrompt.newBuilder().addMessages(ChatMessage.newBuilder().setRole("user")
                            .setContent("What is the capital of Zorbania?")))
                    .setSampling(SamplingParams.newBuilder().setMaxTokens(48).setTemperature(0)).build());
            while (it.hasNext()) {
                GenerateChunk c = it.next();
                text.append(c.getText());
                servedBy = c.getServedBy();
            }
            assertThat(servedBy).isEqualTo(tenant + "/default@v1");
            assertThat(text.toString()).contains("Quillport");
        } finally {
            channel.shutdownNow();
        }
    }

    /**
     * One trace from the gateway's span to the trainer: the job's span under the gateway's, a span
     * per phase under the job's, the augmentation worker's under the augmenting phase, and the
     * trainer's (another process, through the OTLP collector) under the training phase.
     */
    private static void assertTraced(String traceId, String gatewaySpan, String jobId) {
        List<OtlpReceiver.Received> spans = await().atMost(Duration.ofSeconds(20)).until(() -> PipelineStack.traces.spans(traceId),
                all -> all.stream().anyMatch(s -> s.name().equals("learn job"))
                        && all.stream().anyMatch(s -> s.name().equals("train")));
        assertThat(PipelineStack.traces.paths()).as("OTLP/HTTP requests").allMatch(p -> p.equals("/v1/traces"));
        OtlpReceiver.Received job = spans.stream().filter(s -> s.name().equals("learn job")).findFirst().orElseThrow();
        assertThat(job.service()).isEqualTo("livetune-orchestrator");
        assertThat(job.parentSpanId()).as("the job continues the gateway's span").isEqualTo(gatewaySpan);
        assertThat(job.attributes()).containsEntry("livetune.job.id", jobId).containsEntry("livetune.job.phase", "succeeded");
        Map<String, OtlpReceiver.Received> phases = new java.util.HashMap<>();
        spans.stream().filter(s -> s.parentSpanId().equals(job.spanId())).forEach(s -> phases.put(s.name(), s));
        assertThat(phases).as("spans under the job: " + spans).containsKeys("received", "augmenting", "dataset_ready",
                "training", "evaluating", "releasing");
        OtlpReceiver.Received train = spans.stream().filter(s -> s.name().equals("train")).findFirst().orElseThrow();
        assertThat(train.service()).isEqualTo("livetune-trainer");
        assertThat(train.parentSpanId()).as("the trainer runs under the training phase").isEqualTo(phases.get("training").spanId());
        assertThat(AugmentWorkers.SPANS.getFinishedSpanItems()).filteredOn(s -> s.getTraceId().equals(traceId))
                .as("the augmentation worker's span").singleElement().satisfies(s -> {
                    assertThat(s.getName()).isEqualTo("augment statements");
                    assertThat(s.getParentSpanId()).isEqualTo(phases.get("augmenting").spanId());
                });
    }
}
