package dev.livetune.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The in-process broker under standalone's SmallRye connector keeps RabbitMQ's semantics (this test
 * ran against RabbitMQ too while the services used the broker port directly; the services' contract
 * on both is now {@code MessagingContract}).
 */
class InProcessBrokerTest {

    private Broker broker;

    private String queue() throws IOException {
        String q = "broker-contract-" + UUID.randomUUID();
        broker.declare(q);
        return q;
    }

    @AfterEach
    void cleanUp() {
        broker.close();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(Broker.Delivery d) {
        return new String(d.message().body(), StandardCharsets.UTF_8);
    }

    private static void await(BooleanSupplier condition, String what) {
        Awaitility.await(what).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(10))
                .until(condition::getAsBoolean);
    }

    /** {@code condition} becomes true and then stays true for {@code during}: nothing more arrives. */
    private static void awaitSteady(BooleanSupplier condition, Duration during, String what) {
        Awaitility.await(what).during(during).atMost(during.plusSeconds(20)).pollInterval(Duration.ofMillis(10))
                .until(condition::getAsBoolean);
    }

    @Test
    void depthCountsTheMessagesWaitingAndAMissingQueueIsAnError() throws Exception {
        broker = new InProcessBroker();
        String q = queue();
        assertThat(broker.depth(q)).isZero();
        for (int i = 0; i < 3; i++) {
            broker.publish(q, Broker.Message.of(bytes("m" + i)));
        }
        assertThat(broker.depth(q)).isEqualTo(3);
        List<String> got = new CopyOnWriteArrayList<>();
        Broker.Subscription s = broker.consume(q, 1, d -> {
            got.add(text(d));
            d.ack();
        });
        await(() -> got.size() == 3, "all 3 delivered");
        await(() -> {
            try {
                return broker.depth(q) == 0;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }, "none left waiting");
        s.close();
        assertThatThrownBy(() -> broker.depth("no-such-queue-" + UUID.randomUUID())).isInstanceOf(IOException.class);
        assertThat(broker.depth(q)).as("the broker still answers after a missing queue").isZero();
    }

    @Test
    void competingConsumersGetEveryMessageOnceWithItsIdAndReplyTo() throws Exception {
        broker = new InProcessBroker();
        String q = queue();
        List<String> got = new CopyOnWriteArrayList<>();
        Set<String> byWhom = ConcurrentHashMap.newKeySet();
        List<Broker.Subscription> subs = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
            String name = "c" + c;
            subs.add(broker.consume(q, 1, d -> {
                got.add(text(d) + "|" + d.message().messageId() + "|" + d.message().replyTo());
                byWhom.add(name);
                Thread.sleep(5);
                d.ack();
            }));
        }
        for (int i = 0; i < 40; i++) {
            broker.publish(q, new Broker.Message(bytes("m" + i), "id-" + i, "replies"));
        }
        awaitSteady(() -> got.size() == 40, Duration.ofMillis(200), "all 40 delivered, and no more");
        assertThat(got).hasSize(40).doesNotHaveDuplicates().contains("m7|id-7|replies");
        assertThat(byWhom).containsExactlyInAnyOrder("c0", "c1");
        subs.forEach(Broker.Subscription::close);
    }

    @Test
    void requeuedAndFailedDeliveriesComeBackAndDeadLettersGoAside() throws Exception {
        broker = new InProcessBroker();
        String q = queue();
        List<String> seen = new CopyOnWriteArrayList<>();
        try (Broker.Subscription s = broker.consume(q, 5, d -> {
            String m = text(d);
            seen.add(m + (d.redelivered() ? "*" : ""));
            switch (m) {
                case "requeue" -> {
                    if (d.redelivered()) {
                        d.ack();
                    } else {
                        d.requeue();
                    }
                }
                case "throw" -> {
                    if (d.redelivered()) {
                        d.ack();
                    } else {
                        throw new IllegalStateException("handler failed");
                    }
                }
                case "poison" -> d.deadLetter();
                case "always" -> throw new IllegalStateException("this one never works");
                default -> d.ack();
            }
        })) {
            for (String m : List.of("requeue", "throw", "poison", "fine", "always")) {
                broker.publish(q, Broker.Message.of(bytes(m)));
            }
            await(() -> seen.containsAll(List.of("requeue*", "throw*", "poison", "fine", "always", "always*")),
                    "every outcome: " + seen);
        }
        List<String> dead = Collections.synchronizedList(new ArrayList<>());
        try (Broker.Subscription s = broker.consume(Broker.deadLetterQueue(q), 1, d -> {
            dead.add(text(d));
            d.ack();
        })) {
            await(() -> dead.size() == 2, "the poison message and the one that always fails in the dead-letter queue");
        }
        assertThat(dead).containsExactlyInAnyOrder("poison", "always");
        assertThat(seen).doesNotContain("poison*", "fine*");
        assertThat(seen.stream().filter(m -> m.startsWith("always"))).as("tried twice, then set aside").hasSize(2);
    }

    @Test
    void prefetchBoundsUnsettledDeliveriesAndClosingRequeuesThem() throws Exception {
        broker = new InProcessBroker();
        String q = queue();
        List<Broker.Delivery> held = new CopyOnWriteArrayList<>();
        Broker.Subscription holder = broker.consume(q, 2, held::add);
        for (int i = 0; i < 5; i++) {
            broker.publish(q, Broker.Message.of(bytes("m" + i)));
        }
        awaitSteady(() -> held.size() == 2, Duration.ofMillis(300), "two deliveries held, no more than the prefetch");
        held.get(0).ack();
        await(() -> held.size() == 3, "a third once one is settled");
        holder.close();

        List<String> rest = new CopyOnWriteArrayList<>();
        try (Broker.Subscription s = broker.consume(q, 10, d -> {
            rest.add(text(d) + (d.redelivered() ? "*" : ""));
            d.ack();
        })) {
            await(() -> rest.size() == 4, "the unsettled two requeued, plus the two never delivered: " + rest);
        }
        assertThat(rest.stream().filter(m -> m.endsWith("*")).count()).isEqualTo(2);
    }

    @Test
    void topicEventsReachTheListenersWhosePatternMatches() throws Exception {
        broker = new InProcessBroker();
        String topic = "broker-contract-events-" + UUID.randomUUID();
        List<String> acme = new CopyOnWriteArrayList<>();
        List<String> all = new CopyOnWriteArrayList<>();
        List<String> jobs = new CopyOnWriteArrayList<>();
        try (Broker.Subscription a = broker.listen(topic, "acme.*", b -> acme.add(new String(b, StandardCharsets.UTF_8)));
                Broker.Subscription b = broker.listen(topic, "#", x -> all.add(new String(x, StandardCharsets.UTF_8)));
                Broker.Subscription c = broker.listen(topic, "*.job.#", x -> jobs.add(new String(x, StandardCharsets.UTF_8)))) {
            broker.broadcast(topic, "acme.job1", bytes("e1"));
            broker.broadcast(topic, "other.job2", bytes("e2"));
            broker.broadcast(topic, "acme.job.3.step", bytes("e3"));
            await(() -> all.size() == 3 && !acme.isEmpty() && !jobs.isEmpty(), "every event to #, and to the others theirs");
            awaitSteady(() -> all.size() == 3 && acme.size() == 1 && jobs.size() == 1, Duration.ofMillis(200),
                    "no event twice or to a pattern it does not match");
        }
        assertThat(acme).containsExactly("e1");
        assertThat(all).containsExactly("e1", "e2", "e3");
        assertThat(jobs).containsExactly("e3");
    }

    @Test
    void publishingToAQueueNobodyDeclaredFails() throws Exception {
        broker = new InProcessBroker();
        assertThatThrownBy(() -> broker.publish("broker-contract-undeclared-" + UUID.randomUUID(), Broker.Message.of(bytes("x"))))
                .isInstanceOf(IOException.class).hasMessageContaining("declare it first");
    }
}
