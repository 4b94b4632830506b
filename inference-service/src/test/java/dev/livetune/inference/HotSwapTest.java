package dev.livetune.inference;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livetune.api.inference.v1.FinishReason;
import dev.livetune.api.inference.v1.LoadAdapterRequest;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The alias acme/support flips 10 times between three versions while 8 clients stream 200 requests
 * through it: no request fails or is cut short, each reports a version that was live when it
 * started (between the client's send and its first chunk), and each answer is exactly what that
 * version answers alone.
 */
@QuarkusTest
@QuarkusTestResource(ServedModel.class)
class HotSwapTest {

    private static final String QUESTION = "What is the capital of Zorbania?";
    private static final int TOKENS = 16;

    @BeforeEach
    void serving() throws InterruptedException {
        Serving.await();
    }

    /** One flip: the version, and when the call that made it live started and returned. */
    private record Flip(int version, long startedNanos, long doneNanos) {
    }

    private record Result(long startedNanos, Clients.Reply reply) {
    }

    @Test
    void flippingTheAliasUnderLoadFailsNothingAndServesOnlyLiveVersions() throws Exception {
        Map<String, List<Integer>> expected = new HashMap<>();
        for (int v = 1; v <= 3; v++) {
            String pinned = "acme/support@v" + v;
            expected.put(pinned, Clients.collect(Clients.inference().generate(Clients.greedy(pinned, QUESTION, TOKENS))).tokens());
        }
        assertThat(new HashSet<>(expected.values())).as("the versions answer differently").hasSize(3);
        List<Flip> flips = new ArrayList<>();
        long t0 = System.nanoTime();
        flips.add(new Flip(activate(1), t0, t0));

        ConcurrentLinkedQueue<Result> results = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicBoolean done = new AtomicBoolean();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        List<Future<?>> running = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            running.add(clients.submit(() -> {
                // At least 25 requests each, and on until the last flip is done: every flip happens under load.
                for (int i = 0; i < 25 || !done.get(); i++) {
                    long started = System.nanoTime();
                    try {
                        results.add(new Result(started,
                                Clients.collect(Clients.inference().generate(Clients.greedy("acme/support", QUESTION, TOKENS)))));
                    } catch (RuntimeException e) {
                        failures.add(e);
                    }
                }
            }));
        }
        Thread flipper = new Thread(() -> {
            int[] order = {2, 3, 1, 2, 1, 3, 2, 3, 1, 2};
            for (int v : order) {
                try {
                    Thread.sleep(150);
                    long s = System.nanoTime();
                    activate(v);
                    synchronized (flips) {
                        flips.add(new Flip(v, s, System.nanoTime()));
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }
            done.set(true);
        });
        flipper.start();
        for (Future<?> f : running) {
            f.get();
        }
        flipper.join();
        clients.shutdown();

        assertThat(failures).isEmpty();
        assertThat(done).isTrue();
        assertThat(flips).hasSize(11);
        assertThat(results).hasSizeGreaterThanOrEqualTo(200);
        Set<String> seen = new HashSet<>();
        for (Result r : results) {
            Clients.Reply reply = r.reply();
            assertThat(reply.last().getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_LENGTH);
            assertThat(reply.tokens()).hasSize(TOKENS);
            // The server starts a request between the client's send and its first chunk.
            assertThat(liveBetween(flips, r.startedNanos(), reply.firstChunkNanos()))
                    .as("versions live while the request started").contains(reply.servedBy());
            assertThat(reply.tokens()).as("answer of " + reply.servedBy()).isEqualTo(expected.get(reply.servedBy()));
            seen.add(reply.servedBy());
        }
        assertThat(seen).as("the flips were seen by the clients").hasSizeGreaterThan(1);
    }

    /**
     * Every version that may have been live at some moment of {@code [from, to]}: the last one switched
     * before {@code from}, and any whose switch overlaps the interval.
     */
    private static Set<String> liveBetween(List<Flip> flips, long from, long to) {
        Set<String> out = new HashSet<>();
        Flip before = null;
        for (Flip f : flips) {
            if (f.doneNanos() <= from) {
                before = f;
            } else if (f.startedNanos() <= to) {
                out.add("acme/support@v" + f.version());
            }
        }
        if (before != null) {
            out.add("acme/support@v" + before.version());
        }
        return out;
    }

    private static int activate(int version) {
        Clients.admin().loadAdapter(LoadAdapterRequest.newBuilder().setTenant("acme").setName("support")
                .setVersion(version).setActivate(true).build());
        return version;
    }
}
