package dev.livetune.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.learn.LearnRequest;
import dev.livetune.broker.WorkQueues;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.rabbitmq.OutgoingRabbitMQMetadata;
import io.smallrye.reactive.messaging.health.HealthReport;
import io.smallrye.reactive.messaging.providers.extension.HealthCenter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.jboss.logging.Logger;

/**
 * Publishes learn requests on the {@code learn-requests-out} channel (the durable
 * {@code livetune.gateway.learn-queue}, a quorum queue) and waits for the broker's publisher confirm,
 * at most {@code publish-confirm-timeout}. A request that is not confirmed in time fails the call
 * (the client gets 503, and {@link Learning} rejects the job). The channel may still send it once
 * RabbitMQ is back (the RabbitMQ client sends again what failed when it has reconnected): the
 * orchestrator reads the job's rejection and drops it, so it is never learned. While the channel
 * knows it is not connected, a request is refused at once and nothing is queued.
 * Before its first publish (and after a failure) it declares the queue as the orchestrator does
 * ({@link WorkQueues}), so a request sent before any orchestrator started is not lost.
 *
 * <p>Application-scoped, so it is made on first use: the gRPC server builds its services (and what
 * they hold) before the messaging channels are connected, and an emitter cannot be injected then.
 */
@ApplicationScoped
public class LearnPublisher {

    private static final Logger LOG = Logger.getLogger(LearnPublisher.class);

    private static final String CHANNEL = "learn-requests-out";

    private final GatewayConfig config;
    private final MutinyEmitter<byte[]> requests;
    private final HealthCenter health;
    private final ObjectMapper json = new ObjectMapper();
    /** Whether the queue is known to exist: declared once, and again after a failed publish. */
    private volatile boolean declared;

    LearnPublisher() {
        this(null, null, null);
    }

    @Inject
    LearnPublisher(GatewayConfig config, @Channel(CHANNEL) MutinyEmitter<byte[]> requests, HealthCenter health) {
        this.config = config;
        this.requests = requests;
        this.health = health;
    }

    /**
     * @return false while the channel knows it has lost RabbitMQ (it reconnects by itself); true
     *         before its first connection, which the first publish makes
     */
    public boolean connected() {
        return health.getLiveness().getChannels().stream().filter(c -> c.getChannel().equals(CHANNEL))
                .allMatch(HealthReport.ChannelInfo::isOk);
    }

    /**
     * The request's W3C trace context as the standard {@code traceparent} message header too, for
     * the broker's tooling and any OpenTelemetry-aware consumer; the orchestrator reads the copy in
     * the payload, which the request's signature covers.
     */
    private static java.util.Map<String, Object> traceHeaders(LearnRequest request) {
        return request.traceparent() == null ? java.util.Map.of() : java.util.Map.of("traceparent", request.traceparent());
    }

    /**
     * @throws OpenAiException 503 when the broker does not confirm in time, or at once while the
     *                         channel is not connected (nothing is queued to be sent later then)
     */
    public void publish(LearnRequest request) {
        if (!connected()) {
            LOG.warnf("learn request %s refused: not connected to the broker (reconnecting)", request.requestId());
            throw OpenAiException.unavailable("the learning queue is unavailable; nothing was recorded, retry later", 5);
        }
        try {
            if (!declared) {
                WorkQueues.declare(config.rabbitmqUri(), config.learnQueue(), config.publishConfirmTimeout());
                declared = true;
            }
            requests.sendMessage(Message.of(json.writeValueAsBytes(request), Metadata.of(OutgoingRabbitMQMetadata.builder()
                    .withMessageId(request.requestId()).withContentType("application/json")
                    .withHeaders(traceHeaders(request)).build())))
                    .await().atMost(config.publishConfirmTimeout());
        } catch (Exception e) {
            declared = false;
            LOG.warnf("learn request %s not confirmed by the broker: %s", request.requestId(), e.toString());
            throw OpenAiException.unavailable("the learning queue is unavailable; nothing was recorded, retry later", 5);
        }
    }
}
