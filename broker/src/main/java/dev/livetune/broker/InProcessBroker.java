package dev.livetune.broker;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * The broker inside one JVM, for standalone livetune: the same contract as RabbitMQ, minus
 * durability across restarts (what must survive one is in Redis: a job is recorded before its
 * request is acknowledged, and unfinished jobs resume from there). Each subscription has its own
 * thread and takes the next ready message while it has fewer than {@code prefetch} unsettled; a
 * closed subscription's unsettled messages are requeued, as a closed AMQP channel's are.
 */
public final class InProcessBroker implements Broker {

    private final Map<String, Queue> queues = new ConcurrentHashMap<>();
    private final Map<String, List<Listener>> topics = new ConcurrentHashMap<>();
    private final List<ConsumerLoop> loops = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private record Entry(Message message, boolean redelivered) {
    }

    private static final class Queue {
        final String name;
        final Deque<Entry> ready = new ArrayDeque<>();

        Queue(String name) {
            this.name = name;
        }
    }

    private record Listener(String pattern, Consumer<byte[]> consumer, ExecutorService thread) {
    }

    @Override
    public void declare(String queue) {
        queues.computeIfAbsent(queue, Queue::new);
        queues.computeIfAbsent(Broker.deadLetterQueue(queue), Queue::new);
    }

    private Queue queue(String name) throws IOException {
        Queue q = queues.get(name);
        if (q == null) {
            throw new IOException("no queue '" + name + "' (declare it first)");
        }
        return q;
    }

    @Override
    public void publish(String queue, Message message) throws IOException {
        if (closed) {
            throw new IOException("the broker is closed");
        }
        Queue q = queue(queue);
        synchronized (q) {
            q.ready.addLast(new Entry(message, false));
            q.notifyAll();
        }
    }

    @Override
    public long depth(String queue) throws IOException {
        Queue q = queue(queue);
        synchronized (q) {
            return q.ready.size();
        }
    }

    @Override
    public Subscription consume(String queue, int prefetch, DeliveryHandler handler) throws IOException {
        if (prefetch < 1) {
            throw new IllegalArgumentException("prefetch must be at least 1");
        }
        Queue q = queue(queue);
        Queue dead = queues.computeIfAbsent(Broker.deadLetterQueue(queue), Queue::new);
        ConsumerLoop loop = new ConsumerLoop(q, dead, prefetch, handler);
        loops.add(loop);
        loop.thread.start();
        return loop;
    }

    /** One subscription: its thread, and the deliveries it has not settled. */
    private final class ConsumerLoop implements Subscription {
        private final Queue q;
        private final Queue dead;
        private final int prefetch;
        private final DeliveryHandler handler;
        private final Set<InDelivery> unsettled = new HashSet<>();
        private final Thread thread;
        private volatile boolean running = true;

        ConsumerLoop(Queue q, Queue dead, int prefetch, DeliveryHandler handler) {
            this.q = q;
            this.dead = dead;
            this.prefetch = prefetch;
            this.handler = handler;
            this.thread = new Thread(this::loop, "broker-" + q.name);
            this.thread.setDaemon(true);
        }

        private void loop() {
            while (running) {
                InDelivery d;
                synchronized (q) {
                    while (running && (q.ready.isEmpty() || unsettled.size() >= prefetch)) {
                        try {
                            q.wait();
                        } catch (InterruptedException e) {
                            // only close() ends the loop; a stray interrupt does not
                        }
                    }
                    if (!running) {
                        return;
                    }
                    d = new InDelivery(this, q.ready.pollFirst());
                    unsettled.add(d);
                }
                try {
                    handler.handle(d);
                } catch (Exception e) {
                    // requeued the first time, dead-lettered if it fails again after redelivery
                    d.settle(d.redelivered() ? Settle.DEAD : Settle.REQUEUE);
                    if (e instanceof InterruptedException) {
                        Thread.interrupted();
                    }
                }
            }
        }

        @Override
        public void close() {
            loops.remove(this);
            synchronized (q) {
                running = false;
                for (InDelivery d : List.copyOf(unsettled)) {
                    d.settleLocked(Settle.REQUEUE);
                }
                q.notifyAll();
            }
            thread.interrupt();
        }
    }

    private enum Settle { ACK, REQUEUE, DEAD }

    private static final class InDelivery implements Delivery {
        private final ConsumerLoop owner;
        private final Entry entry;
        private boolean settled;

        InDelivery(ConsumerLoop owner, Entry entry) {
            this.owner = owner;
            this.entry = entry;
        }

        @Override
        public Message message() {
            return entry.message();
        }

        @Override
        public boolean redelivered() {
            return entry.redelivered();
        }

        @Override
        public void ack() {
            settle(Settle.ACK);
        }

        @Override
        public void requeue() {
            settle(Settle.REQUEUE);
        }

        @Override
        public void deadLetter() {
            settle(Settle.DEAD);
        }

        void settle(Settle how) {
            synchronized (owner.q) {
                settleLocked(how);
            }
        }

        /** Caller holds the queue's lock. */
        void settleLocked(Settle how) {
            if (settled) {
                return;
            }
            settled = true;
            owner.unsettled.remove(this);
            switch (how) {
                case REQUEUE -> owner.q.ready.addFirst(new Entry(entry.message(), true));
                case DEAD -> {
                    synchronized (owner.dead) {
                        owner.dead.ready.addLast(new Entry(entry.message(), false));
                        owner.dead.notifyAll();
                    }
                }
                default -> {
                }
            }
            owner.q.notifyAll();
        }
    }

    @Override
    public void broadcast(String topic, String routingKey, byte[] body) {
        for (Listener l : topics.getOrDefault(topic, List.of())) {
            if (matches(l.pattern(), routingKey)) {
                try {
                    l.thread().execute(() -> l.consumer().accept(body));
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // that listener closed meanwhile
                }
            }
        }
    }

    @Override
    public Subscription listen(String topic, String pattern, Consumer<byte[]> listener) {
        ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "broker-topic-" + topic);
            t.setDaemon(true);
            return t;
        });
        Listener l = new Listener(pattern, listener, thread);
        topics.computeIfAbsent(topic, t -> new CopyOnWriteArrayList<>()).add(l);
        return () -> {
            topics.getOrDefault(topic, List.of()).remove(l);
            thread.shutdownNow();
        };
    }

    /** AMQP topic matching: words separated by dots, {@code *} exactly one word, {@code #} zero or more. */
    static boolean matches(String pattern, String routingKey) {
        return matches(pattern.split("\\."), 0, routingKey.split("\\."), 0);
    }

    private static boolean matches(String[] p, int i, String[] k, int j) {
        if (i == p.length) {
            return j == k.length;
        }
        if (p[i].equals("#")) {
            for (int m = j; m <= k.length; m++) {
                if (matches(p, i + 1, k, m)) {
                    return true;
                }
            }
            return false;
        }
        return j < k.length && (p[i].equals("*") || p[i].equals(k[j])) && matches(p, i + 1, k, j + 1);
    }

    @Override
    public void close() {
        closed = true;
        loops.forEach(ConsumerLoop::close);
        topics.values().forEach(ls -> ls.forEach(l -> l.thread().shutdownNow()));
        topics.clear();
    }
}
