package dev.livetune.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.learn.LearnEvent;
import dev.livetune.broker.InProcessConnector;
import dev.livetune.broker.Wakeups;
import io.smallrye.reactive.messaging.health.HealthReport;
import io.smallrye.reactive.messaging.providers.extension.HealthCenter;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Wakes the gateway's live job streams when the orchestrator publishes on {@code learn-events} (the
 * SmallRye channel of that name). The job's history in Redis stays the record a stream reads
 * (ordered, complete, the same after a reconnect); an event only says "read again now". This replica
 * listens to every tenant's events (on RabbitMQ: its own exclusive, auto-deleted queue bound to the
 * topic; the connection is retried while RabbitMQ is away). While the channel is not connected,
 * streams fall back to reading Redis every two seconds.
 */
@Singleton
public class JobWatch {

    private static final Logger LOG = Logger.getLogger(JobWatch.class);
    private static final String CHANNEL = "learn-events";
    private static final long FALLBACK_MILLIS = 2000;

    private final ObjectMapper json = new ObjectMapper();
    private final Wakeups signals = new Wakeups();
    private final HealthCenter health;

    JobWatch(HealthCenter health) {
        this.health = health;
    }

    @Incoming(CHANNEL)
    CompletionStage<Void> onEvent(Message<byte[]> event) {
        try {
            wake(json.readValue(InProcessConnector.bytes(event.getPayload()), LearnEvent.class).jobId());
        } catch (Exception e) {
            LOG.debugf("ignoring an unreadable learn event: %s", e.getMessage());
        }
        return event.ack();
    }

    /** Wakes every stream waiting on this job. */
    void wake(String jobId) {
        signals.wake(jobId);
    }

    /**
     * Starts watching a job's events: take a {@link Wakeups.Watch#mark} before reading its history,
     * then {@link #await}; close the watch when the stream ends (a job nobody watches takes no memory).
     */
    public Wakeups.Watch watch(String jobId) {
        return signals.watch(jobId);
    }

    /**
     * Waits until an event for the watched job has arrived since {@code mark}, or {@code max} passes
     * (at most two seconds while not connected to the broker).
     *
     * @return true when an event arrived
     */
    public boolean await(Wakeups.Watch watch, long mark, Duration max) throws InterruptedException {
        Duration wait = connected() ? max : Duration.ofMillis(Math.min(max.toMillis(), FALLBACK_MILLIS));
        return watch.await(mark, wait);
    }

    /** @return the jobs watched now, by every stream of this replica */
    int watched() {
        return signals.watched();
    }

    /** @return whether the events channel is connected (the in-process connector always is) */
    public boolean connected() {
        HealthReport report = health.getLiveness();
        return report.getChannels().stream().filter(c -> c.getChannel().equals(CHANNEL)).allMatch(HealthReport.ChannelInfo::isOk);
    }
}
