package dev.livetune.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livetune.api.inference.v1.AdapterInfo;
import dev.livetune.api.inference.v1.FinishReason;
import dev.livetune.api.inference.v1.GenerateChunk;
import dev.livetune.api.inference.v1.InferenceGrpc;
import dev.livetune.api.inference.v1.ListAdaptersRequest;
import dev.livetune.api.inference.v1.LoadAdapterRequest;
import dev.livetune.api.inference.v1.UnloadAdapterRequest;
import dev.livetune.api.inference.v1.UnloadAdapterResponse;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * With a batch of 1, a queue of 2 and room for 2 resident adapters: a full queue refuses with
 * RESOURCE_EXHAUSTED, deadlines and client cancellation end a stream within a step, LRU eviction
 * spares pinned, live and just-loaded versions, and unloading a version in use waits for its stream.
 */
@QuarkusTest
@QuarkusTestResource(ServedModel.class)
@TestProfile(LimitsTest.Small.class)
class LimitsTest {

    public static class Small implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("livetune.inference.max-batch", "1", "livetune.inference.max-waiting", "2",
                    "livetune.inference.max-resident-adapters", "2");
        }
    }

    @BeforeEach
    void serving() throws InterruptedException {
        Serving.await();
    }

    @Test
    void aFullQueueRefusesAndTheAcceptedStreamsFinishWhole() throws Exception {
        List<CompletableFuture<Object>> calls = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            calls.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return Clients.collect(Clients.inference().generate(Clients.greedy("", "Tell me a story.", 60)));
                } catch (StatusRuntimeException e) {
                    return e.getStatus().getCode();
                }
            }));
        }
        int refused = 0;
        int whole = 0;
        for (CompletableFuture<Object> c : calls) {
            Object r = c.get(2, TimeUnit.MINUTES);
            if (r instanceof Status.Code code) {
                assertThat(code).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                refused++;
            } else {
                assertThat(((Clients.Reply) r).tokens()).hasSize(60);
                whole++;
            }
        }
        assertThat(refused).as("refused with a batch of 1 and a queue of 2").isPositive();
        assertThat(whole).isBetween(1, 6);
    }

    @Test
    void deadlinesAndCancellationEndAStreamAndFreeItsPlace() throws Exception {
        InferenceGrpc.InferenceBlockingStub hurried = InferenceGrpc.newBlockingStub(Clients.CHANNEL)
                .withDeadlineAfter(300, TimeUnit.MILLISECONDS);
        StatusRuntimeException late = org.assertj.core.api.Assertions.catchThrowableOfType(StatusRuntimeException.class,
                () -> Clients.collect(hurried.generate(Clients.greedy("", "Tell me a long story.", 450))));
        assertThat(late.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);

        // A client that goes away after three tokens: its lease on the adapter is returned within a step or so.
        Context.CancellableContext context = Context.current().withCancellation();
        Iterator<GenerateChunk> stream = context.call(() -> Clients.inference()
                .generate(Clients.greedy("globex/default", "Tell me a long story.", 450)));
        for (int i = 0; i < 3; i++) {
            stream.next();
        }
        assertThat(running("globex/default@v1")).isEqualTo(1);
        context.cancel(null);
        await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
                .untilAsserted(() -> assertThat(running("globex/default@v1")).as("lease returned after cancel").isZero());

        // The batch of one is free again.
        Clients.Reply next = Clients.collect(Clients.inference().generate(Clients.greedy("", "Hi", 5)));
        assertThat(next.last().getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_LENGTH);
    }

    @Test
    void evictionSparesPinnedAndNewVersionsReadsLiveOnesAgainAndUnloadWaitsForRunningStreams() throws Exception {
        load(2, true);   // pinned
        load(3, false);
        // Issue 19 #4: live versions were never evicted, so every tenant's adapter stayed in memory for good. Now
        // the live acme/support@v1 and globex/default@v1 make room too (the bound is 2), and are read again when asked for.
        assertThat(resident()).containsExactlyInAnyOrder("acme/support@v2", "acme/support@v3");
        load(4, false);  // over the bound: v3 (least recently used, not pinned) goes
        assertThat(resident()).containsExactlyInAnyOrder("acme/support@v2", "acme/support@v4");
        assertThat(Clients.collect(Clients.inference().generate(Clients.greedy("globex/default", "Hi", 3))).servedBy())
                .as("an evicted live version, read again").isEqualTo("globex/default@v1");
        assertThat(resident()).containsExactlyInAnyOrder("acme/support@v2", "globex/default@v1");

        assertThat(code(() -> Clients.admin().unloadAdapter(UnloadAdapterRequest.newBuilder().setTenant("acme")
                .setName("support").setVersion(1).build()))).as("the live version").isEqualTo(Status.Code.FAILED_PRECONDITION);

        CompletableFuture<Clients.Reply> onV4 = CompletableFuture.supplyAsync(
                () -> Clients.collect(Clients.inference().generate(Clients.greedy("acme/support@v4", "Tell me a story.", 120))));
        await("the stream on acme/support@v4 running").dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(5)).until(() -> running("acme/support@v4") != 0);
        UnloadAdapterResponse r = Clients.admin().unloadAdapter(UnloadAdapterRequest.newBuilder().setTenant("acme")
                .setName("support").setVersion(4).build());
        assertThat(r.getWasResident()).isTrue();
        assertThat(r.getRunningRequests()).isEqualTo(1);
        assertThat(resident()).doesNotContain("acme/support@v4");
        Clients.Reply reply = onV4.get(2, TimeUnit.MINUTES);
        assertThat(reply.tokens()).as("the stream on the unloaded version ends whole").hasSize(120);
        assertThat(reply.servedBy()).isEqualTo("acme/support@v4");
        // Named again, it loads on demand from the store.
        assertThat(Clients.collect(Clients.inference().generate(Clients.greedy("acme/support@v4", "Hi", 3))).servedBy())
                .isEqualTo("acme/support@v4");
    }

    private static void load(int version, boolean pin) {
        Clients.admin().loadAdapter(LoadAdapterRequest.newBuilder().setTenant("acme").setName("support")
                .setVersion(version).setPin(pin).build());
    }

    private static List<String> resident() {
        return Clients.admin().listAdapters(ListAdaptersRequest.getDefaultInstance()).getAdaptersList().stream()
                .map(AdapterInfo::getAdapter).toList();
    }

    private static int running(String adapter) {
        return Clients.admin().listAdapters(ListAdaptersRequest.getDefaultInstance()).getAdaptersList().stream()
                .filter(a -> a.getAdapter().equals(adapter)).mapToInt(AdapterInfo::getRunningRequests).sum();
    }

    private static Status.Code code(Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
        throw new AssertionError("the call succeeded");
    }
}
