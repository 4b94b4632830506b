package dev.livetune.orchestrator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.livetune.api.learn.LearnRequest;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Publishes a web learning job and waits for it to end. */
final class WebJobs {

    private WebJobs() {
    }

    static Map<String, String> run(String tenant, String topic) throws Exception {
        String jobId = "ftjob-" + UUID.randomUUID().toString().replace("-", "");
        LearnRequest r = new LearnRequest(1, UUID.randomUUID().toString(), jobId, tenant, "default", "web", topic, List.of(),
                null, List.of(), Instant.now().toString());
        RedisClient client = RedisClient.create("redis://localhost:6379");
        try (StatefulRedisConnection<String, String> redis = client.connect();
                Connection c = new ConnectionFactory().newConnection(); Channel ch = c.createChannel()) {
            ch.queueDeclare(PipelineStack.QUEUE, true, false, false, null);
            ch.basicPublish("", PipelineStack.QUEUE, null, new ObjectMapper().writeValueAsBytes(r));
            long until = System.currentTimeMillis() + 300_000;
            while (System.currentTimeMillis() < until) {
                Map<String, String> job = redis.sync().hgetall("livetune:job:" + jobId);
                if (job.get("phase") != null && List.of("succeeded", "failed", "cancelled").contains(job.get("phase"))) {
                    return job;
                }
                Thread.sleep(200);
            }
            throw new AssertionError("job did not end");
        } finally {
            client.shutdown();
        }
    }
}
