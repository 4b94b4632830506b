package dev.livetune.broker;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Wake-ups by key, for a thread that waits for something a message handler learns about (a job's
 * event, an augmentation result, a change to a Kubernetes object). The waiter opens a {@link #watch}
 * on the key, takes a {@link Watch#mark} before it looks at the state, and {@link Watch#await}s only
 * if nothing changed; the handler {@link #wake}s the key after it recorded the change. A wake-up
 * between the look and the wait is not lost (the mark has moved on); a missed one costs at most
 * {@code max}, never a decision, since the waiter looks at the state itself each time.
 *
 * <p>A key is held only while someone watches it: closing the last watch forgets it, so keys nobody
 * waits on (however many a caller makes up) take no memory, and waking one is a no-op.
 */
public final class Wakeups {

    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    private static final class Counter {
        long wakes;
        int watchers;
    }

    /** Starts watching {@code key}; close the watch when done waiting on it. */
    public Watch watch(String key) {
        Counter c = counters.compute(key, (k, v) -> {
            Counter counter = v == null ? new Counter() : v;
            synchronized (counter) {
                counter.watchers++;
            }
            return counter;
        });
        return new Watch(key, c);
    }

    /** Wakes whoever watches {@code key}; nothing happens if nobody does. */
    public void wake(String key) {
        Counter c = counters.get(key);
        if (c != null) {
            synchronized (c) {
                c.wakes++;
                c.notifyAll();
            }
        }
    }

    /** @return the keys watched now */
    public int watched() {
        return counters.size();
    }

    /** One waiter's hold on a key. */
    public final class Watch implements AutoCloseable {
        private final String key;
        private final Counter counter;
        private boolean closed;

        private Watch(String key, Counter counter) {
            this.key = key;
            this.counter = counter;
        }

        /** @return a mark to pass to {@link #await}, taken before looking at the state */
        public long mark() {
            synchronized (counter) {
                return counter.wakes;
            }
        }

        /**
         * Waits until the key is woken after {@code mark}, or {@code max} passes.
         *
         * @return true when it was woken
         */
        public boolean await(long mark, Duration max) throws InterruptedException {
            long until = System.nanoTime() + max.toNanos();
            synchronized (counter) {
                while (counter.wakes == mark) {
                    long left = until - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    counter.wait(Math.max(1, left / 1_000_000));
                }
            }
            return true;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            counters.computeIfPresent(key, (k, v) -> {
                synchronized (v) {
                    return --v.watchers == 0 ? null : v;
                }
            });
        }
    }
}
