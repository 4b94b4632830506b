package dev.livetune.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Opening brokers by URI: components that open the same {@code inprocess://} name share one broker. */
class BrokersTest {

    @Test
    void componentsOpeningTheSameInProcessNameShareQueuesAndClosingOneLeavesTheOthers() throws Exception {
        String uri = Brokers.IN_PROCESS + "brokers-test-" + UUID.randomUUID();
        Broker publisher = Brokers.open(uri);
        Broker consumer = Brokers.open(uri);
        Broker bystander = Brokers.open(uri);
        LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();
        LinkedBlockingQueue<String> heard = new LinkedBlockingQueue<>();
        consumer.declare("q");
        consumer.consume("q", 1, d -> {
            d.ack(); // settled before the test hears of it, so closing the consumer cannot redeliver it
            got.add(new String(d.message().body(), StandardCharsets.UTF_8));
        });
        bystander.listen("events", "#", b -> heard.add(new String(b, StandardCharsets.UTF_8)));

        publisher.publish("q", Broker.Message.of("one".getBytes(StandardCharsets.UTF_8)));
        assertThat(got.poll(5, TimeUnit.SECONDS)).isEqualTo("one");

        consumer.close(); // its consumer stops; the broker and the bystander's listener go on
        publisher.publish("q", Broker.Message.of("two".getBytes(StandardCharsets.UTF_8)));
        publisher.broadcast("events", "job.1", "ev".getBytes(StandardCharsets.UTF_8));
        assertThat(heard.poll(5, TimeUnit.SECONDS)).isEqualTo("ev");
        assertThat(got.poll(300, TimeUnit.MILLISECONDS)).isNull();

        Broker later = Brokers.open(uri);
        later.consume("q", 1, d -> {
            got.add(new String(d.message().body(), StandardCharsets.UTF_8));
            d.ack();
        });
        assertThat(got.poll(5, TimeUnit.SECONDS)).as("the message waited in the shared queue").isEqualTo("two");
        later.close();
        bystander.close();
        publisher.close();
    }

    @Test
    void differentNamesAreDifferentBrokers() throws Exception {
        Broker a = Brokers.open(Brokers.IN_PROCESS + "brokers-test-a-" + UUID.randomUUID());
        Broker b = Brokers.open(Brokers.IN_PROCESS + "brokers-test-b-" + UUID.randomUUID());
        a.declare("q");
        a.publish("q", Broker.Message.of(new byte[] {1}));
        assertThatThrownBy(() -> b.publish("q", Broker.Message.of(new byte[] {1})))
                .hasMessageContaining("declare it first");
    }

    @Test
    void unknownSchemesAndMissingNamesAreRefusedWithTheAcceptedForms() {
        assertThatThrownBy(() -> Brokers.open("amqp://guest:guest@localhost:5672"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SmallRye");
        assertThatThrownBy(() -> Brokers.open(Brokers.IN_PROCESS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NAME");
        assertThatThrownBy(() -> Brokers.open(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Brokers.open(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
