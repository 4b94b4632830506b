package dev.livetune.gateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.livetune.state.AdapterStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A {@code [Learn]} message is answered at once with a job id, after the broker confirmed the learn
 * request; with the broker unreachable the client gets 503 and no job is listed, and once it is
 * back the next request is delivered exactly once.
 */
@QuarkusTest
@QuarkusTestResource(GatewayStack.class)
class LearnTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static Response learn(String key, String session, boolean stream) {
        return given().header("Authorization", "Bearer " + key).header("X-Session-Id", session)
                .contentType("application/json")
                .body("{\"model\": \"default\", \"stream\": " + stream + ", \"messages\": [{\"role\": \"user\", \"content\":"
                        + " \"[Learn] The capital of Zorbania is Quillport.\"}]}")
                .post("/v1/chat/completions");
    }

    private static List<JsonNode> drain(Channel ch, String tenant) throws Exception {
        return GatewayStack.drain(ch, tenant);
    }

    @Test
    void learnIsConfirmedAnsweredAtOnceAndRefusedWhileTheBrokerIsAway() throws Exception {
        String tenant = Keys.tenant();
        String key = Keys.keyFor(tenant);
        ConnectionFactory f = new ConnectionFactory();
        f.setUri("amqp://guest:guest@localhost:5672/%2F");
        RedisClient redisClient = RedisClient.create("redis://localhost:6379");
        try (Connection c = f.newConnection(); Channel ch = c.createChannel();
                StatefulRedisConnection<String, String> redis = redisClient.connect()) {
            ch.queueDeclare(GatewayStack.QUEUE, true, false, false, dev.livetune.broker.WorkQueues.arguments(GatewayStack.QUEUE));

            Response ok = learn(key, "s1", false);
            assertThat(ok.statusCode()).as(ok.asString()).isEqualTo(200);
            String jobId = ok.header("X-Livetune-Job-Id");
            assertThat(jobId).startsWith("ftjob-");
            assertThat(JSON.readTree(ok.asString()).at("/choices/0/message/content").asText()).contains(jobId);
            List<JsonNode> delivered = drain(ch, tenant);
            assertThat(delivered).hasSize(1);
            JsonNode req = delivered.get(0);
            assertThat(req.get("schemaVersion").asInt()).isEqualTo(1);
            assertThat(req.get("jobId").asText()).isEqualTo(jobId);
            assertThat(req.get("adapter").asText()).isEqualTo("default");
            assertThat(req.get("mode").asText()).isEqualTo("auto");
            assertThat(req.get("text").asText()).isEqualTo("The capital of Zorbania is Quillport.");
            assertThat(req.get("sessionId").asText()).isEqualTo("s1");
            assertThat(redis.sync().hget("livetune:job:" + jobId, "status")).isEqualTo("queued");
            assertThat(redis.sync().lrange("livetune:session:" + tenant + ":s1", 0, -1)).hasSize(2);
            assertThat(given().port(9191).get("/q/metrics").asString()).as("the channel's message counter")
                    .containsPattern("mp_messaging_message_count_total\\{channel=\"learn-requests-out\"[^}]*} [1-9]");

            // The broker goes away: 503 with Retry-After, no job listed, the job rejected.
            GatewayStack.rabbit.down();
            Response refused = learn(key, "s2", false);
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.header("Retry-After")).isNotNull();
            assertThat(JSON.readTree(refused.asString()).at("/error/type").asText()).isEqualTo("server_error");
            assertThat(redis.sync().zcard("livetune:tenant-jobs:" + tenant)).isEqualTo(1);

            // Back again: the next one is delivered exactly once. The refused one may reach RabbitMQ after
            // all (the channel sends what it held once it is connected again): if it does, its job says it
            // was rejected, which is what makes the orchestrator drop it (RejectedRequestTest).
            GatewayStack.rabbit.up();
            org.awaitility.Awaitility.await("the gateway reconnected").atMost(java.time.Duration.ofSeconds(30))
                    .until(publisher::connected);
            Response streamed = learn(key, "s3", true);
            assertThat(streamed.statusCode()).isEqualTo(200);
            String streamedJob = streamed.header("X-Livetune-Job-Id");
            assertThat(streamed.asString()).contains(streamedJob).endsWith("data: [DONE]\n\n");
            List<JsonNode> after = new ArrayList<>();
            org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(300))
                    .atMost(java.time.Duration.ofSeconds(20)).until(() -> {
                        after.addAll(drain(ch, tenant));
                        return after.stream().anyMatch(r -> r.get("jobId").asText().equals(streamedJob));
                    });
            assertThat(after.stream().filter(r -> r.get("jobId").asText().equals(streamedJob))).as("delivered once").hasSize(1);
            for (JsonNode other : after) {
                String otherJob = other.get("jobId").asText();
                if (!otherJob.equals(streamedJob)) {
                    assertThat(other.get("sessionId").asText()).isEqualTo("s2");
                    assertThat(redis.sync().hget("livetune:job:" + otherJob, "acceptance")).as("the refused request's job")
                            .isEqualTo("rejected");
                }
            }
            assertThat(redis.sync().zcard("livetune:tenant-jobs:" + tenant)).isEqualTo(2);
        } finally {
            GatewayStack.rabbit.up();
            redisClient.shutdown();
        }
    }

    /**
     * The broker takes the learn request but its confirm comes too late: the client gets 503, the job
     * is rejected and not listed, and the request RabbitMQ holds anyway carries the job id whose
     * rejection the orchestrator reads (and drops it: the orchestrator's {@code RejectedRequestTest}).
     */
    @Test
    void aRequestWhoseConfirmCameTooLateIsRejectedThoughTheBrokerHasIt() throws Exception {
        String tenant = Keys.tenant();
        String key = Keys.keyFor(tenant);
        RedisClient redisClient = RedisClient.create("redis://localhost:6379");
        try (Connection c = new ConnectionFactory().newConnection(); Channel ch = c.createChannel();
                StatefulRedisConnection<String, String> redis = redisClient.connect()) {
            ch.queueDeclare(GatewayStack.QUEUE, true, false, false, dev.livetune.broker.WorkQueues.arguments(GatewayStack.QUEUE));
            // one on time first: the gateway's connection is open and the queue known, so what the
            // broker holds back below is the confirm itself
            Response first = learn(key, "before", false);
            assertThat(first.statusCode()).as(first.asString()).isEqualTo(200);
            drain(ch, tenant);
            GatewayStack.rabbit.holdReplies();
            Response refused = learn(key, "late", false);
            assertThat(refused.statusCode()).as(refused.asString()).isEqualTo(503);
            GatewayStack.rabbit.up();

            List<JsonNode> delivered = new ArrayList<>();
            org.awaitility.Awaitility.await("the request RabbitMQ took").atMost(java.time.Duration.ofSeconds(20)).until(() -> {
                delivered.addAll(drain(ch, tenant));
                return !delivered.isEmpty();
            });
            assertThat(delivered).hasSize(1);
            String jobId = delivered.get(0).get("jobId").asText();
            assertThat(redis.sync().hget("livetune:job:" + jobId, "acceptance")).isEqualTo("rejected");
            assertThat(redis.sync().zrange("livetune:tenant-jobs:" + tenant, 0, -1)).as("a rejected job is not listed")
                    .containsExactly(first.header("X-Livetune-Job-Id"));
            assertThat(redis.sync().ttl("livetune:job:" + jobId)).as("and is kept a day at most").isBetween(1L, 86400L);

            Response ok = learn(key, "after", false);
            assertThat(ok.statusCode()).as("the next request, confirms on time again").isEqualTo(200);
            assertThat(redis.sync().zrange("livetune:tenant-jobs:" + tenant, 0, -1))
                    .containsExactlyInAnyOrder(first.header("X-Livetune-Job-Id"), ok.header("X-Livetune-Job-Id"));
        } finally {
            GatewayStack.rabbit.up();
            redisClient.shutdown();
        }
    }

    @jakarta.inject.Inject
    JobWatch watch;

    @jakarta.inject.Inject
    LearnPublisher publisher;

    @jakarta.inject.Inject
    io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter spans;

    /**
     * A client's {@code traceparent} reaches the orchestrator: the learn request carries the
     * gateway's producer span, a child of the HTTP request's span, in the client's trace.
     */
    @Test
    void aLearnRequestCarriesTheClientsTrace() throws Exception {
        String tenant = Keys.tenant();
        String traceId = java.util.UUID.randomUUID().toString().replace("-", "");
        String clientSpan = traceId.substring(16);
        try (Connection c = new ConnectionFactory().newConnection(); Channel ch = c.createChannel()) {
            ch.queueDeclare(GatewayStack.QUEUE, true, false, false, dev.livetune.broker.WorkQueues.arguments(GatewayStack.QUEUE));
            Response ok = given().header("Authorization", "Bearer " + Keys.keyFor(tenant))
                    .header("traceparent", "00-" + traceId + "-" + clientSpan + "-01").contentType("application/json")
                    .body("{\"model\": \"default\", \"messages\": [{\"role\": \"user\", \"content\":"
                            + " \"[Learn] The capital of Zorbania is Quillport.\"}]}")
                    .post("/v1/chat/completions");
            assertThat(ok.statusCode()).as(ok.asString()).isEqualTo(200);
            List<com.rabbitmq.client.GetResponse> delivered = GatewayStack.drainMessages(ch, tenant);
            assertThat(delivered).hasSize(1);
            String traceparent = JSON.readTree(delivered.get(0).getBody()).path("traceparent").asText();
            assertThat(traceparent).matches("00-" + traceId + "-[0-9a-f]{16}-01");
            assertThat(String.valueOf(delivered.get(0).getProps().getHeaders().get("traceparent")))
                    .as("the standard message header").isEqualTo(traceparent);
            String publishSpan = traceparent.substring(36, 52);

            var publish = org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> spans.getFinishedSpanItems().stream().filter(s -> s.getSpanId().equals(publishSpan)).findFirst(),
                            java.util.Optional::isPresent).get();
            assertThat(publish.getName()).isEqualTo("learn-requests publish");
            assertThat(publish.getKind()).isEqualTo(io.opentelemetry.api.trace.SpanKind.PRODUCER);
            var server = org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> spans.getFinishedSpanItems().stream()
                            .filter(s -> s.getSpanId().equals(publish.getParentSpanId())).findFirst(),
                            java.util.Optional::isPresent).get();
            assertThat(server.getKind()).as("the HTTP request's span").isEqualTo(io.opentelemetry.api.trace.SpanKind.SERVER);
            assertThat(server.getParentSpanId()).as("under the client's span").isEqualTo(clientSpan);
        }
    }

    /** The orchestrator's learn-events wake live job streams; a job with no event does not wake. */
    @Test
    void learnEventsWakeTheStreamsWatchingThatJob() throws Exception {
        assertThat(watch.connected()).as("watching learn-events").isTrue();
        String job = "ftjob-watch-" + System.nanoTime();
        try (dev.livetune.broker.Wakeups.Watch w = watch.watch(job);
                dev.livetune.broker.Wakeups.Watch quiet = watch.watch(job + "-quiet")) {
            long mark = w.mark();
            long quietMark = quiet.mark();
            try (Connection c = new ConnectionFactory().newConnection(); Channel ch = c.createChannel()) {
                ch.basicPublish(dev.livetune.api.learn.LearnEvent.EXCHANGE, "acme." + job, null, JSON.writeValueAsBytes(
                        new dev.livetune.api.learn.LearnEvent(1, job, "acme", "training", "info", "step 3/80",
                                "2026-01-01T00:00:00Z")));
            }
            assertThat(watch.await(w, mark, java.time.Duration.ofSeconds(60))).as("woken by the event").isTrue();
            assertThat(watch.await(quiet, quietMark, java.time.Duration.ofMillis(300))).isFalse();
        }
    }

    /** Issue 19 #4: any alias name was accepted for learning, so a tenant could make adapters without end. GatewayStack allows 3. */
    @Test
    void aTenantCannotTeachMoreAdaptersThanItMay() {
        String tenant = Keys.tenant();
        String key = Keys.keyFor(tenant);
        RedisClient redisClient = RedisClient.create("redis://localhost:6379");
        try (StatefulRedisConnection<String, String> redis = redisClient.connect()) {
            AdapterStore adapters = new AdapterStore(redis::sync);
            for (String alias : List.of("a", "b", "c")) {
                adapters.released(tenant, alias, 1, "ftjob-" + alias);
            }
        } finally {
            redisClient.shutdown();
        }
        given().header("Authorization", "Bearer " + key).contentType("application/json")
                .body("{\"model\": \"d\", \"text\": \"The capital of Zorbania is Quillport.\"}").post("/v1/learn")
                .then().statusCode(429).body("error.code", equalTo("storage_limit_reached"))
                .body("error.message", containsString("already has 3 adapters"));
        given().header("Authorization", "Bearer " + key).contentType("application/json")
                .body("{\"model\": \"b\", \"text\": \"The capital of Zorbania is Quillport.\"}").post("/v1/learn")
                .then().statusCode(200).body("status", equalTo("queued"));
    }

    /**
     * Issue 19 #2: learning cost one request of the chat quota, and nothing else bounded it. Now it has
     * a quota of its own (GatewayStack: 8 jobs an hour), and chatting goes on when it is used up.
     */
    @Test
    void learningHasItsOwnQuota() {
        String key = Keys.keyFor(Keys.tenant());
        for (int i = 0; i < 8; i++) {
            given().header("Authorization", "Bearer " + key).contentType("application/json")
                    .body("{\"text\": \"The capital of Land" + i + " is City" + i + ".\"}").post("/v1/learn").then().statusCode(200);
        }
        Response refused = given().header("Authorization", "Bearer " + key).contentType("application/json")
                .body("{\"text\": \"The capital of Land8 is City8.\"}").post("/v1/learn");
        assertThat(refused.statusCode()).as(refused.asString()).isEqualTo(429);
        assertThat(Integer.parseInt(refused.header("Retry-After"))).isBetween(1, 3600);
        assertThat(refused.asString()).contains("learning quota of 8 jobs per hour");
        given().header("Authorization", "Bearer " + key).contentType("application/json")
                .body("{\"model\": \"livetune-base\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"max_tokens\": 2}")
                .post("/v1/chat/completions").then().statusCode(200);
    }

    /**
     * Issue 19 #9: live job streams held a worker thread for up to six hours each, as many as a tenant
     * liked. GatewayStack allows 2 streams per tenant: a third is 429 with Retry-After until one ends.
     */
    @Test
    void aTenantHoldsAtMostItsStreamsAtOnce() throws Exception {
        String key = Keys.keyFor(Keys.tenant());
        String job = given().header("Authorization", "Bearer " + key).contentType("application/json")
                .body("{\"text\": \"The capital of Zorbania is Quillport.\"}").post("/v1/learn").then().statusCode(200)
                .extract().path("id");
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.http.HttpRequest watch = java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                "http://localhost:8181/v1/fine_tuning/jobs/" + job + "/events?stream=true")).header("Authorization", "Bearer " + key)
                .build();
        List<java.io.InputStream> open = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                java.net.http.HttpResponse<java.io.InputStream> r = http.send(watch, java.net.http.HttpResponse.BodyHandlers.ofInputStream());
                assertThat(r.statusCode()).isEqualTo(200);
                open.add(r.body());
            }
            java.net.http.HttpResponse<String> third = http.send(watch, java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(third.statusCode()).as(third.body()).isEqualTo(429);
            assertThat(third.headers().firstValue("Retry-After")).isPresent();
            assertThat(JSON.readTree(third.body()).at("/error/message").asText()).contains("2 streams open");
            open.remove(0).close();
            org.awaitility.Awaitility.await("a stream's place, freed when it ends").atMost(java.time.Duration.ofSeconds(60))
                    .pollInterval(java.time.Duration.ofMillis(500)).until(() -> {
                        java.net.http.HttpResponse<java.io.InputStream> r = http.send(watch,
                                java.net.http.HttpResponse.BodyHandlers.ofInputStream());
                        if (r.statusCode() == 200) {
                            open.add(r.body());
                            return true;
                        }
                        r.body().close();
                        return false;
                    });
        } finally {
            for (java.io.InputStream in : open) {
                in.close();
            }
        }
    }

    /** Asking to stream jobs that are not the caller's, however many, leaves nothing watched behind. */
    @Test
    void streamsOfUnknownJobsHoldNothing() throws Exception {
        String key = Keys.keyFor(Keys.tenant());
        // streams of other tests may still be ending: what is watched may shrink meanwhile, never grow
        int before = watch.watched();
        for (int i = 0; i < 50; i++) {
            given().header("Authorization", "Bearer " + key).get("/v1/fine_tuning/jobs/ftjob-made-up-" + i + "/events?stream=true")
                    .then().statusCode(404);
        }
        assertThat(watch.watched()).as("jobs watched once those streams ended").isLessThanOrEqualTo(before);
    }
}
