package dev.livetune.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.learn.LearnEvent;
import dev.livetune.broker.Broker;
import dev.livetune.broker.Brokers;
import dev.livetune.broker.Wakeups;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * Wakes the gateway's live job streams when the orchestrator publishes on {@code learn-events}. The
 * job's history in Redis stays the record a stream reads (ordered, complete, the same after a
 * reconnect); an event only says "read again now". This replica listens to every tenant's events
 * (on RabbitMQ: its own exclusive, auto-deleted queue bound to the topic; the connection recovers). While the broker is away, streams fall back to
 * reading Redis every two seconds.
 */
@Singleton
public class JobWatch {

    private static final Logger LOG = Logger.getLogger(JobWatch.class);
    private static final long FALLBACK_MILLIS = 2000;

    private final GatewayConfig config;
    private final ObjectMapper json = new ObjectMapper();
    private final Wakeups signals = new Wakeups();
    private volatile Broker broker;
    private Broker.Subscription subscription;

    JobWatch(GatewayConfig config) {
        this.config = config;
    }

    void start(@Observes StartupEvent event) {
        try {
            broker = Brokers.open(config.rabbitmqUri(), "livetune-gateway-job-watch");
            subscription = broker.listen(LearnEvent.EXCHANGE, "#", body -> {
                try {
                    wake(json.readValue(body, LearnEvent.class).jobId());
                } catch (Exception e) {
                    LOG.debugf("ignoring an unreadable learn event: %s", e.getMessage());
                }
            });
        } catch (IOException | RuntimeException e) {
            LOG.warnf("not watching %s (%s); live job streams read Redis every %d ms instead", LearnEvent.EXCHANGE,
                    e.getMessage(), FALLBACK_MILLIS);
        }
    }

    /** Wakes every stream waiting on this job. */
    void wake(String jobId) {
        signals.wake(jobId);
    }

    /** @return the job's event count so far, to pass to {@link #await} after reading its history */
    public long mark(String jobId) {
        return signals.mark(jobId);
    }

    /**
     * Waits until an event for the job has arrived since {@code mark}, or {@code max} passes (at most
     * two seconds while not connected to the broker).
     *
     * @return true when an event arrived
     */
    public boolean await(String jobId, long mark, Duration max) throws InterruptedException {
        Duration wait = connected() ? max : Duration.ofMillis(Math.min(max.toMillis(), FALLBACK_MILLIS));
        return signals.await(jobId, mark, wait);
    }

    public boolean connected() {
        Broker b = broker;
        return b != null && b.healthy();
    }

    void stop(@Observes ShutdownEvent event) {
        if (subscription != null) {
            subscription.close();
        }
        if (broker != null) {
            broker.close();
        }
    }
}
