package dev.livetune.broker;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wake-ups by key, for a thread that waits for something a message handler learns about (a job's
 * event, an augmentation result, a change to a Kubernetes object): the waiter takes a {@link #mark}
 * before it looks at the state, and {@link #await}s only if nothing changed; the handler
 * {@link #wake}s the key after it recorded the change. A wake-up between the look and the wait is
 * not lost (the mark has moved on); a missed one costs at most {@code max}, never a decision, since
 * the waiter looks at the state itself each time.
 */
public final class Wakeups {

    private final Map<String, AtomicLong> counters = new ConcurrentHashMap<>();

    /** @return a mark to pass to {@link #await}, taken before looking at the state */
    public long mark(String key) {
        return counter(key).get();
    }

    /** Wakes whoever waits on {@code key}; nothing happens if nobody does. */
    public void wake(String key) {
        AtomicLong c = counters.get(key);
        if (c != null) {
            synchronized (c) {
                c.incrementAndGet();
                c.notifyAll();
            }
        }
    }

    /**
     * Waits until {@code key} is woken after {@code mark}, or {@code max} passes.
     *
     * @return true when it was woken
     */
    public boolean await(String key, long mark, Duration max) throws InterruptedException {
        AtomicLong c = counter(key);
        long until = System.nanoTime() + max.toNanos();
        synchronized (c) {
            while (c.get() == mark) {
                long left = until - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                c.wait(Math.max(1, left / 1_000_000));
            }
        }
        return true;
    }

    /** Forgets a key nobody waits on any more. */
    public void forget(String key) {
        counters.remove(key);
    }

    private AtomicLong counter(String key) {
        return counters.computeIfAbsent(key, k -> new AtomicLong());
    }
}
