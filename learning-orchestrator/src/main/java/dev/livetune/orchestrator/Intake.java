package dev.livetune.orchestrator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.livetune.api.learn.LearnRequest;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.io.IOException;
import org.jboss.logging.Logger;

/**
 * Takes learn requests off the durable queue: a request is acknowledged only once its job is
 * durable in Redis; a request id seen before is acknowledged without a second job; a message that is
 * not a learn request goes to the dead-letter queue (and is acknowledged, so the queue keeps flowing).
 * At startup every unfinished job is resumed from its persisted phase.
 *
 * <p>A plain AMQP consumer with manual acknowledgements (not a SmallRye channel), like the gateway's
 * publisher: the point of this class is exactly when a message is acknowledged.
 */
@Singleton
public class Intake {

    private static final Logger LOG = Logger.getLogger(Intake.class);

    private final OrchestratorConfig config;
    private final Jobs jobs;
    private final Pipeline pipeline;
    private final Augmentation augmentation;
    private final ObjectMapper json = new ObjectMapper();
    private Connection connection;

    Intake(OrchestratorConfig config, Jobs jobs, Pipeline pipeline, Augmentation augmentation) {
        this.augmentation = augmentation;
        this.config = config;
        this.jobs = jobs;
        this.pipeline = pipeline;
    }

    void start(@Observes StartupEvent event) throws Exception {
        augmentation.connect();
        for (String jobId : jobs.active()) {
            LOG.infof("resuming job %s from %s", jobId, jobs.phase(jobId));
            pipeline.submit(jobId);
        }
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(config.rabbitmqUri());
        factory.setAutomaticRecoveryEnabled(true);
        connection = factory.newConnection("livetune-orchestrator");
        Channel ch = connection.createChannel();
        ch.queueDeclare(config.learnQueue(), true, false, false, null);
        ch.queueDeclare(config.deadLetterQueue(), true, false, false, null);
        ch.basicQos(16);
        ch.basicConsume(config.learnQueue(), false, new DefaultConsumer(ch) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body)
                    throws IOException {
                receive(ch, envelope.getDeliveryTag(), props, body);
            }
        });
    }

    private void receive(Channel ch, long tag, AMQP.BasicProperties props, byte[] body) throws IOException {
        LearnRequest r;
        try {
            r = json.readValue(body, LearnRequest.class);
            if (r.schemaVersion() != LearnRequest.SCHEMA_VERSION || r.requestId() == null || r.jobId() == null
                    || r.tenant() == null || r.adapter() == null) {
                throw new IllegalArgumentException("not a schema-1 learn request");
            }
        } catch (Exception e) {
            LOG.warnf("dead-lettering an unreadable learn request: %s", e.getMessage());
            ch.basicPublish("", config.deadLetterQueue(), props, body);
            ch.basicAck(tag, false);
            return;
        }
        try {
            if (jobs.claim(r)) {
                Failpoints.hit("after-claim");
                pipeline.submit(r.jobId());
            } else {
                LOG.infof("request %s delivered again; job %s exists", r.requestId(), r.jobId());
            }
            ch.basicAck(tag, false);
        } catch (Exception e) {
            // Redis is not there: leave the request in the queue and try again a little later.
            LOG.warnf("cannot record learn request %s (%s); requeued", r.requestId(), e.getMessage());
            try {
                Thread.sleep(1000);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            ch.basicNack(tag, false, true);
        }
    }

    void stop(@Observes ShutdownEvent event) {
        try {
            if (connection != null) {
                connection.close();
            }
        } catch (Exception e) {
            LOG.debug("closing the broker connection", e);
        }
    }
}
