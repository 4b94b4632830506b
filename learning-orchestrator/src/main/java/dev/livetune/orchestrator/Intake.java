package dev.livetune.orchestrator;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.learn.LearnRequest;
import dev.livetune.broker.Broker;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Takes learn requests off the durable queue: a request is acknowledged only once its job is
 * durable in Redis; a request id seen before is acknowledged without a second job; a request the
 * gateway rejected (its client was told 503) is acknowledged and dropped; a message that is
 * not a learn request goes to the dead-letter queue ({@code <learn-queue>.dead}), so the queue keeps
 * flowing. At startup every unfinished job is resumed from its persisted phase, before new requests
 * are taken.
 *
 * <p>On the {@code broker} port rather than a SmallRye channel, like the gateway's publisher: the
 * point of this class is exactly when a message is acknowledged.
 */
@Singleton
public class Intake {

    private static final Logger LOG = Logger.getLogger(Intake.class);

    private final OrchestratorConfig config;
    private final Jobs jobs;
    private final Pipeline pipeline;
    private final Augmentation augmentation;
    private final Broker broker;
    private final Redeliveries redeliveries;
    private final ObjectMapper json = new ObjectMapper();
    private Broker.Subscription requests;

    Intake(OrchestratorConfig config, Jobs jobs, Pipeline pipeline, Augmentation augmentation, Broker broker,
            Redeliveries redeliveries) {
        this.redeliveries = redeliveries;
        this.config = config;
        this.jobs = jobs;
        this.pipeline = pipeline;
        this.augmentation = augmentation;
        this.broker = broker;
    }

    void start(@Observes StartupEvent event) throws IOException {
        augmentation.connect();
        for (String jobId : jobs.active()) {
            Map<String, String> job = jobs.get(jobId);
            LOG.infof("resuming job %s from %s", jobId, job.getOrDefault("phase", "received"));
            pipeline.submit(jobId, job.get("tenant"), job.get("adapter"));
        }
        broker.declare(config.learnQueue());
        requests = broker.consume(config.learnQueue(), 16, this::receive);
    }

    private void receive(Broker.Delivery delivery) throws IOException {
        LearnRequest r;
        try {
            r = json.readValue(delivery.message().body(), LearnRequest.class);
            if (r.schemaVersion() != LearnRequest.SCHEMA_VERSION || r.requestId() == null || r.jobId() == null
                    || r.tenant() == null || r.adapter() == null) {
                throw new IllegalArgumentException("not a schema-1 learn request");
            }
        } catch (Exception e) {
            LOG.warnf("dead-lettering an unreadable learn request: %s", e.getMessage());
            delivery.deadLetter();
            return;
        }
        try {
            if (!jobs.accept(r.jobId())) {
                LOG.infof("dropping learn request %s: the gateway rejected job %s (its publish was not confirmed in time"
                        + " and the client was told so)", r.requestId(), r.jobId());
                delivery.ack();
                return;
            }
            if (jobs.claim(r)) {
                Failpoints.hit("after-claim");
                pipeline.submit(r.jobId(), r.tenant(), r.adapter());
            } else {
                LOG.infof("request %s delivered again; job %s exists", r.requestId(), r.jobId());
            }
            delivery.ack();
        } catch (RuntimeException e) {
            // Redis is not there: leave the request in the queue and try again a little later.
            LOG.warnf("cannot record learn request %s (%s); requeued in a second", r.requestId(), e.getMessage());
            redeliveries.requeueLater(delivery, java.time.Duration.ofSeconds(1));
        }
    }

    void stop(@Observes ShutdownEvent event) {
        if (requests != null) {
            requests.close();
        }
    }
}
