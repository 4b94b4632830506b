package dev.livetune.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The messaging contract the services rely on, held against both SmallRye connectors they run on:
 * {@code smallrye-rabbitmq} (a real RabbitMQ on localhost:5672, as in a cluster) and
 * {@link InProcessConnector} (standalone). The same channel beans ({@link ContractChannels}), the same
 * configuration but for the connector's name.
 */
abstract class MessagingContract {

    @Inject
    ContractChannels channels;

    @Test
    void aConfirmedMessageIsDeliveredOnceWithItsId() throws Exception {
        channels.send("ack:one", "id-1").toCompletableFuture().get(20, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(20)).until(() -> channels.delivered.stream().anyMatch(s -> s.body().equals("ack:one")));
        channels.send("ack:marker", "id-2").toCompletableFuture().get(20, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(20)).until(() -> channels.delivered.stream().anyMatch(s -> s.body().equals("ack:marker")));
        assertThat(channels.delivered.stream().filter(s -> s.body().equals("ack:one")).toList())
                .containsExactly(new ContractChannels.Seen("ack:one", "id-1", false));
    }

    @Test
    void aRequeuedMessageComesAgainMarkedRedelivered() throws Exception {
        channels.send("requeue-once:two", "id-3").toCompletableFuture().get(20, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(20)).until(() -> channels.delivered.stream()
                .filter(s -> s.body().equals("requeue-once:two")).count() == 2);
        assertThat(channels.delivered.stream().filter(s -> s.body().equals("requeue-once:two"))
                .map(ContractChannels.Seen::redelivered).toList()).containsExactly(false, true);
    }

    @Test
    void aNackedMessageIsDeadLettered() throws Exception {
        channels.send("reject:three", "id-4").toCompletableFuture().get(20, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(20)).until(() -> channels.dead.contains("reject:three"));
        assertThat(channels.delivered.stream().filter(s -> s.body().equals("reject:three")).count()).isEqualTo(1);
    }

    @Test
    void noMoreThanMaxOutstandingMessagesAreUnsettledAtOnce() throws Exception {
        List<String> bodies = java.util.stream.IntStream.range(0, 10).mapToObj(i -> "hold:" + i).toList();
        for (String b : bodies) {
            channels.send(b, b).toCompletableFuture().get(20, TimeUnit.SECONDS);
        }
        for (int released = 0; released < bodies.size(); released++) {
            await().atMost(Duration.ofSeconds(20)).until(() -> !channels.held.isEmpty());
            channels.release(channels.held.keySet().iterator().next());
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> channels.delivered.stream()
                .filter(s -> s.body().startsWith("hold:")).count() == bodies.size() && channels.held.isEmpty());
        assertThat(channels.maxHeld.get()).as("unsettled at once (max-outstanding-messages=4)").isBetween(1, 4);
    }

    @Test
    void topicEventsReachListenersWhoseKeysMatch() {
        channels.broadcast("b.x", "not for a.*");
        channels.broadcast("a.x", "for a.*");
        await().atMost(Duration.ofSeconds(20)).until(() -> channels.heard.contains("for a.*"));
        assertThat(channels.heard).containsExactly("for a.*");
    }
}
