package dev.livetune.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Wake-ups by key: a wake-up after the mark is never lost, and a key is held only while it is watched. */
class WakeupsTest {

    @Test
    void aWakeUpAfterTheMarkIsSeenEvenBeforeTheWait() throws Exception {
        Wakeups wakeups = new Wakeups();
        try (Wakeups.Watch w = wakeups.watch("job-1")) {
            long mark = w.mark();
            wakeups.wake("job-1");
            assertThat(w.await(mark, Duration.ofMinutes(1))).as("returns at once").isTrue();
            long next = w.mark();
            assertThat(w.await(next, Duration.ofMillis(20))).as("nothing new: times out").isFalse();
        }
    }

    @Test
    void aWaiterIsWokenByAnotherThread() throws Exception {
        Wakeups wakeups = new Wakeups();
        try (Wakeups.Watch w = wakeups.watch("job-2")) {
            long mark = w.mark();
            CompletableFuture<Boolean> woken = CompletableFuture.supplyAsync(() -> {
                try {
                    return w.await(mark, Duration.ofMinutes(1));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            wakeups.wake("job-2");
            assertThat(woken.get(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void keysNobodyWatchesTakeNoRoomHoweverManyThereAre() {
        Wakeups wakeups = new Wakeups();
        for (int i = 0; i < 10_000; i++) {
            String madeUp = "ftjob-" + UUID.randomUUID();
            wakeups.wake(madeUp);
            try (Wakeups.Watch w = wakeups.watch(madeUp)) {
                w.mark();
            }
        }
        assertThat(wakeups.watched()).isZero();
        try (Wakeups.Watch a = wakeups.watch("shared"); Wakeups.Watch b = wakeups.watch("shared")) {
            a.close();
            a.close();
            assertThat(wakeups.watched()).as("still watched by the other").isEqualTo(1);
        }
        assertThat(wakeups.watched()).isZero();
    }
}
