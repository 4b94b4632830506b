package dev.livetune.orchestrator;

import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Handles a message again a little later, when what it needs (Redis) is away: requeued at once it
 * would come straight back and spin. The message is kept, unsettled (it counts against its channel's
 * {@code max-outstanding-messages}), and handled again; it does not count as a redelivery, which
 * matters on a quorum queue (RabbitMQ dead-letters a message past its delivery limit).
 */
@Singleton
class Redeliveries {

    private static final Logger LOG = Logger.getLogger(Redeliveries.class);

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "redeliveries");
        t.setDaemon(true);
        return t;
    });

    /**
     * Runs {@code attempt} again after {@code after}, on {@code executor}.
     *
     * @return what that attempt returns, once it has run (never, if this is shut down first: the
     *         message stays unsettled and the broker delivers it again to the next consumer)
     */
    <T> CompletionStage<T> later(Duration after, Supplier<CompletionStage<T>> attempt, Executor executor) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            timer.schedule(() -> {
                try {
                    executor.execute(() -> attempt.get().whenComplete((v, e) -> {
                        if (e != null) {
                            result.completeExceptionally(e);
                        } else {
                            result.complete(v);
                        }
                    }));
                } catch (RejectedExecutionException e) {
                    LOG.debugf("shutting down: the message is left to the broker to deliver again");
                }
            }, after.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.debugf("shutting down: the message is left to the broker to deliver again");
        }
        return result;
    }

    @PreDestroy
    void stop() {
        timer.shutdownNow();
    }
}
