package dev.livetune.orchestrator;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.learn.LearnRequest;
import dev.livetune.broker.InProcessConnector;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.rabbitmq.RabbitMQRejectMetadata;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.jboss.logging.Logger;

/**
 * Takes learn requests off the durable queue (the {@code learn-requests} channel: a quorum queue,
 * RabbitMQ dead-lettering to {@code <learn-queue>.dead}), one at a time: a request is acknowledged
 * only once its job is durable in Redis; a request id seen before is acknowledged without a second
 * job; a request the gateway rejected (its client was told 503) is acknowledged and dropped; a
 * message that is not a learn request is rejected, so RabbitMQ dead-letters it and the queue keeps
 * flowing. While Redis cannot be reached, the request is kept (unsettled) and tried again every
 * second. At startup every unfinished job is resumed from its persisted phase before a new request
 * is taken.
 */
@Singleton
public class Intake {

    private static final Logger LOG = Logger.getLogger(Intake.class);
    private static final Duration RETRY = Duration.ofSeconds(1);

    private final Jobs jobs;
    private final Pipeline pipeline;
    private final Redeliveries redeliveries;
    private final OrchestratorConfig config;
    private final ObjectMapper json = new ObjectMapper();
    /** Redis work off the messaging threads, in arrival order. */
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "learn-intake");
        t.setDaemon(true);
        return t;
    });
    private final CompletableFuture<Void> resumed = new CompletableFuture<>();

    Intake(Jobs jobs, Pipeline pipeline, Redeliveries redeliveries, OrchestratorConfig config) {
        this.config = config;
        this.jobs = jobs;
        this.pipeline = pipeline;
        this.redeliveries = redeliveries;
    }

    void start(@Observes StartupEvent event) {
        for (String jobId : jobs.active()) {
            Map<String, String> job = jobs.get(jobId);
            LOG.infof("resuming job %s from %s", jobId, job.getOrDefault("phase", "received"));
            pipeline.submit(jobId, job.get("tenant"), job.get("adapter"));
        }
        resumed.complete(null);
    }

    @Incoming("learn-requests")
    CompletionStage<Void> receive(Message<byte[]> message) {
        return resumed.thenComposeAsync(ready -> handle(message), worker).exceptionally(e -> {
            LOG.debugf("settling a learn request failed (%s); the broker delivers it again", e.toString());
            return null;
        });
    }

    private CompletionStage<Void> handle(Message<byte[]> message) {
        LearnRequest r;
        try {
            r = json.readValue(InProcessConnector.bytes(message.getPayload()), LearnRequest.class);
            if (r.schemaVersion() != LearnRequest.SCHEMA_VERSION || r.requestId() == null || r.jobId() == null
                    || r.tenant() == null || r.adapter() == null) {
                throw new IllegalArgumentException("not a schema-1 learn request");
            }
        } catch (Exception e) {
            LOG.warnf("dead-lettering an unreadable learn request: %s", e.getMessage());
            return message.nack(e, Metadata.of(new RabbitMQRejectMetadata(false)));
        }
        String secret = config.generateSecret().filter(k -> !k.isBlank()).orElse(null);
        if (secret != null && !r.signedWith(secret)) {
            LOG.warnf("dead-lettering learn request %s for job %s of tenant %s: it is not signed by a gateway (%s signature)",
                    r.requestId(), r.jobId(), r.tenant(), r.signature() == null ? "no" : "a wrong");
            return message.nack(new IllegalArgumentException("unsigned learn request"),
                    Metadata.of(new RabbitMQRejectMetadata(false)));
        }
        try {
            if (!jobs.accept(r.jobId())) {
                LOG.infof("dropping learn request %s: the gateway rejected job %s (its publish was not confirmed in time"
                        + " and the client was told so)", r.requestId(), r.jobId());
                return message.ack();
            }
            if (jobs.claim(r)) {
                Failpoints.hit("after-claim");
                pipeline.submit(r.jobId(), r.tenant(), r.adapter());
            } else {
                LOG.infof("request %s delivered again; job %s exists", r.requestId(), r.jobId());
            }
            return message.ack();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            LOG.errorf("dead-lettering learn request %s: it cannot be written back as JSON (%s)", r.requestId(), e.getMessage());
            return message.nack(e, Metadata.of(new RabbitMQRejectMetadata(false)));
        } catch (RuntimeException e) {
            // Redis is not there: keep the request and try again a little later.
            LOG.warnf("cannot record learn request %s (%s); trying again in %s", r.requestId(), e.getMessage(), RETRY);
            return redeliveries.later(RETRY, () -> handle(message), worker);
        }
    }

    void stop(@Observes ShutdownEvent event) {
        worker.shutdownNow();
    }
}
