package dev.livetune.inference;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livetune.api.inference.v1.FinishReason;
import dev.livetune.api.inference.v1.GenerateRequest;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(ServedModel.class)
class GenerateTest {

    @BeforeEach
    void serving() throws InterruptedException {
        Serving.await();
    }

    @Test
    void concurrentGreedyStreamsWithDifferentAdaptersGiveExactlyTheSequentialTokens() throws Exception {
        List<GenerateRequest> requests = new ArrayList<>();
        String[] adapters = {"", "acme/support@v1", "acme/support@v2", "globex/default", "globex/default@v1", ""};
        String[] questions = {"Hello there!", "What is the capital of Zorbania?", "Tell me a story about a dragon."};
        for (String a : adapters) {
            for (String q : questions) {
                requests.add(Clients.greedy(a, q, 12 + q.length() % 7));
            }
        }
        List<Clients.Reply> sequential = new ArrayList<>();
        for (GenerateRequest r : requests) {
            sequential.add(Clients.collect(Clients.inference().generate(r)));
        }
        ExecutorService pool = Executors.newFixedThreadPool(requests.size());
        try {
            List<Future<Clients.Reply>> concurrent = new ArrayList<>();
            for (GenerateRequest r : requests) {
                concurrent.add(pool.submit(() -> Clients.collect(Clients.inference().generate(r))));
            }
            for (int i = 0; i < requests.size(); i++) {
                Clients.Reply c = concurrent.get(i).get();
                Clients.Reply s = sequential.get(i);
                assertThat(c.tokens()).as("request %d (%s)", i, requests.get(i).getAdapter()).isEqualTo(s.tokens());
                assertThat(c.text()).isEqualTo(s.text());
                assertThat(c.servedBy()).isEqualTo(s.servedBy());
            }
        } finally {
            pool.shutdownNow();
        }
        // The adapters matter: base and adapters answer differently, and each stream says who served it.
        assertThat(new HashSet<>(List.of(sequential.get(0).tokens(), sequential.get(3).tokens(), sequential.get(6).tokens(),
                sequential.get(9).tokens()))).hasSizeGreaterThan(2);
        assertThat(sequential.get(0).servedBy()).isEmpty();
        assertThat(sequential.get(3).servedBy()).isEqualTo("acme/support@v1");
        assertThat(sequential.get(6).servedBy()).isEqualTo("acme/support@v2");
        assertThat(sequential.get(9).servedBy()).isEqualTo("globex/default@v1");
        for (int i = 0; i < requests.size(); i++) {
            Clients.Reply s = sequential.get(i);
            assertThat(s.last().getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_LENGTH);
            assertThat(s.last().getUsage().getCompletionTokens()).isEqualTo(s.tokens().size())
                    .isEqualTo(requests.get(i).getSampling().getMaxTokens());
            assertThat(s.last().getUsage().getPromptTokens()).isPositive();
            assertThat(s.chunks()).isEqualTo(s.tokens().size() + 1);
        }
    }
}
