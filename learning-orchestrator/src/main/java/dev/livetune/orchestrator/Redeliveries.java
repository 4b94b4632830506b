package dev.livetune.orchestrator;

import dev.livetune.broker.Broker;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Puts a delivery back a little later, when what it needs (Redis) is away: requeued at once it would
 * come straight back and spin. The consumer's thread goes on meanwhile; the delivery stays unsettled
 * (it counts against the consumer's prefetch) until it is requeued.
 */
@Singleton
class Redeliveries {

    private static final Logger LOG = Logger.getLogger(Redeliveries.class);

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "redeliveries");
        t.setDaemon(true);
        return t;
    });

    void requeueLater(Broker.Delivery delivery, Duration after) {
        try {
            timer.schedule(() -> {
                try {
                    delivery.requeue();
                } catch (IOException | RuntimeException e) {
                    // the channel is gone: the broker redelivers an unsettled message by itself
                    LOG.debugf("requeue failed (%s); the broker redelivers it", e.toString());
                }
            }, after.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.debugf("shutting down: the delivery is left to the broker to redeliver");
        }
    }

    @PreDestroy
    void stop() {
        timer.shutdownNow();
    }
}
