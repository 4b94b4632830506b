package dev.livetune.state;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The shared key families against a real Redis: what one service writes, another reads back. */
class StateTest {

    private static RedisClient client;
    private static StatefulRedisConnection<String, String> redis;

    @BeforeAll
    static void connect() {
        client = RedisClient.create("redis://localhost:6379");
        try {
            redis = client.connect();
        } catch (RedisConnectionException e) {
            throw new IllegalStateException("Redis is not running on localhost:6379; start it (redis-server --daemonize yes)", e);
        }
    }

    @AfterAll
    static void close() {
        redis.close();
        client.shutdown();
    }

    private static String unique(String prefix) {
        return prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    @Test
    void aQueuedJobIsNeverSetBackByTheRecordWrittenAfterTheClaim() throws Exception {
        JobStore jobs = new JobStore(redis::sync);
        String tenant = unique("t");
        String id = unique("ftjob-");
        assertThat(jobs.claim(id + "-request", id, tenant, Instant.ofEpochMilli(2000), Map.of("tenant", tenant),
                Map.of("phase", "received"))).isTrue();
        assertThat(jobs.claim(id + "-request", id, tenant, Instant.ofEpochMilli(2000), Map.of("tenant", "someone else"),
                Map.of("phase", "received", "status", "nonsense"))).as("a redelivery").isFalse();
        jobs.set(id, Map.of("phase", "augmenting", "status", "running"));
        // the gateway's queued record lands after the orchestrator's claim
        jobs.setAbsent(id, Map.of("tenant", tenant, "status", "queued", "request", "{}"));
        jobs.index(tenant, id, Instant.ofEpochMilli(2000));
        String older = unique("ftjob-");
        jobs.index(tenant, older, Instant.ofEpochMilli(1000));

        assertThat(jobs.get(id)).containsEntry("status", "running").containsEntry("phase", "augmenting")
                .containsEntry("request", "{}");
        assertThat(jobs.ofTenant(tenant)).containsExactly(id, older);
        assertThat(jobs.active()).contains(id);
        assertThat(jobs.unclaimed()).noneMatch(j -> id.equals(j.get("id")));
        jobs.ended(id);
        assertThat(jobs.active()).doesNotContain(id);
        assertThat(jobs.get(unique("ftjob-"))).isEmpty();

        assertThat(jobs.cancelRequested(id)).isFalse();
        jobs.requestCancel(id, Instant.ofEpochSecond(77));
        assertThat(jobs.cancelRequested(id)).isTrue();
        assertThat(jobs.get(id)).containsEntry("status", "cancelled").containsEntry("finished_at", "77");
    }

    @Test
    void whicheverSideComesFirstSettlesWhetherARequestWasAccepted() {
        JobStore jobs = new JobStore(redis::sync);
        String late = unique("ftjob-");
        jobs.recordQueued(late, Map.of("id", late, "status", "queued", "request", "{}"));
        assertThat(redis.sync().ttl("livetune:job:" + late)).as("a queued record nobody accepted expires").isPositive();
        assertThat(jobs.reject(late)).isTrue();
        assertThat(jobs.reject(late)).as("again").isTrue();
        assertThat(jobs.accept(late)).as("the broker delivers it after all").isFalse();
        assertThat(jobs.unclaimed()).noneMatch(j -> late.equals(j.get("id")));

        String early = unique("ftjob-");
        jobs.recordQueued(early, Map.of("id", early, "status", "queued", "request", "{}"));
        assertThat(jobs.accept(early)).isTrue();
        assertThat(redis.sync().ttl("livetune:job:" + early)).as("an accepted job is kept").isEqualTo(-1L);
        assertThat(jobs.reject(early)).as("the confirm was late, but the orchestrator has it").isFalse();
        assertThat(jobs.accept(early)).as("a redelivery").isTrue();

        String direct = unique("ftjob-");
        assertThat(jobs.accept(direct)).as("a request with no queued record (published by another producer)").isTrue();
    }

    @Test
    void eventsAreOpenAiJobEventsInTheOrderWritten() throws Exception {
        JobStore jobs = new JobStore(redis::sync);
        String id = unique("ftjob-");
        jobs.event(id, Instant.ofEpochSecond(10), "info", "first");
        jobs.event(id, Instant.ofEpochSecond(11), "error", "second");
        List<String> all = jobs.events(id, 0);
        assertThat(all).hasSize(2);
        JsonNode e = new ObjectMapper().readTree(all.get(1));
        assertThat(e.path("object").asText()).isEqualTo("fine_tuning.job.event");
        assertThat(e.path("id").asText()).startsWith("ftevent-");
        assertThat(e.path("created_at").asLong()).isEqualTo(11);
        assertThat(e.path("level").asText()).isEqualTo("error");
        assertThat(e.path("message").asText()).isEqualTo("second");
        assertThat(e.has("data")).isTrue();
        assertThat(e.path("type").asText()).isEqualTo("message");
        assertThat(jobs.events(id, 1)).containsExactly(all.get(1));
    }

    @Test
    void aTrainingStepIsAMetricsEventWithItsData() throws Exception {
        JobStore jobs = new JobStore(redis::sync);
        String id = unique("ftjob-");
        jobs.metrics(id, Instant.ofEpochSecond(12), 8, 80, 1.23456);
        JsonNode e = new ObjectMapper().readTree(jobs.events(id, 0).get(0));
        assertThat(e.path("type").asText()).isEqualTo("metrics");
        assertThat(e.path("message").asText()).isEqualTo("Step 8/80: training loss=1.2346");
        assertThat(e.path("data").path("step").asInt()).isEqualTo(8);
        assertThat(e.path("data").path("total_steps").asInt()).isEqualTo(80);
        assertThat(e.path("data").path("train_loss").asDouble()).isEqualTo(1.23456);
    }

    @Test
    void unclaimedJobsAreTheQueuedOnesWithARequestAndNoPhase() {
        JobStore jobs = new JobStore(redis::sync);
        String waiting = unique("ftjob-");
        String claimed = unique("ftjob-");
        jobs.setAbsent(waiting, Map.of("id", waiting, "status", "queued", "request", "{\"jobId\":\"" + waiting + "\"}"));
        jobs.setAbsent(claimed, Map.of("id", claimed, "status", "queued", "request", "{}", "phase", "received"));
        List<String> ids = jobs.unclaimed().stream().map(j -> j.get("id")).toList();
        assertThat(ids).contains(waiting).doesNotContain(claimed);
        jobs.set(waiting, Map.of("phase", "received"));
    }

    @Test
    void releasesAndRollbacksMoveTheLiveVersion() {
        AdapterStore adapters = new AdapterStore(redis::sync);
        String tenant = unique("t");
        assertThat(adapters.live(tenant, "default")).isEqualTo(OptionalInt.empty());
        assertThat(adapters.nextVersion(tenant, "default")).isEqualTo(1);
        assertThat(adapters.nextVersion(tenant, "default")).isEqualTo(2);
        adapters.released(tenant, "default", 1, "ftjob-a");
        adapters.released(tenant, "default", 2, "ftjob-b");
        adapters.released(tenant, "default", 2, "ftjob-b"); // a resumed release
        assertThat(adapters.versions(tenant, "default")).containsExactly(1, 2);
        assertThat(adapters.live(tenant, "default")).hasValue(2);
        assertThat(adapters.datasets(tenant, "default")).containsExactly("ftjob-a", "ftjob-b");
        assertThat(adapters.hasAlias(tenant, "default")).isTrue();
        assertThat(adapters.hasAlias(tenant, "support")).isFalse();
        assertThat(adapters.released(tenant, "default", 3)).isFalse();

        adapters.rolledBack(tenant, "default", 1);
        assertThat(adapters.live(tenant, "default")).hasValue(1);
        assertThat(adapters.versions(tenant, "default")).containsExactly(1, 2);
        assertThat(adapters.allLive()).contains(new AdapterStore.Live(tenant, "default", 1));
        assertThat(adapters.allLive().stream().map(AdapterStore.Live::toString)).contains(tenant + "/default@v1");
    }

    /**
     * Issue 19 #17: the claim was a {@code SET NX} followed by the job's record, so a crash or a lost
     * connection between them left a claimed request with no job, which every redelivery took for a
     * duplicate. Now the claim is one script: cut short at any call, the redelivery finds either the
     * whole job or no claim at all, and the job exists, listed and active, either way.
     */
    @Test
    void aClaimCutShortLeavesTheRedeliveryAWholeJob() {
        for (int cut = 0; cut < 4; cut++) {
            String tenant = unique("t");
            String id = unique("ftjob-");
            int[] calls = {0};
            int allowed = cut;
            JobStore dying = new JobStore(() -> {
                if (calls[0]++ >= allowed) {
                    throw new io.lettuce.core.RedisConnectionException("connection lost");
                }
                return redis.sync();
            });
            Map<String, String> absent = Map.of("tenant", tenant, "status", "received");
            Map<String, String> fields = Map.of("request", "{}", "phase", "received");
            try {
                dying.claim(id + "-request", id, tenant, Instant.ofEpochMilli(5), absent, fields);
            } catch (io.lettuce.core.RedisException e) {
                // the orchestrator did not settle the message: the broker delivers it again
            }
            JobStore jobs = new JobStore(redis::sync);
            boolean again = jobs.claim(id + "-request", id, tenant, Instant.ofEpochMilli(5), absent, fields);
            assertThat(again).as("claimed again after a cut at call " + cut).isEqualTo(cut == 0);
            assertThat(jobs.get(id)).as("cut at call " + cut).containsEntry("request", "{}").containsEntry("phase", "received")
                    .containsEntry("tenant", tenant);
            assertThat(jobs.active()).contains(id);
            assertThat(jobs.ofTenant(tenant)).containsExactly(id);
            jobs.ended(id);
        }
    }

    @Test
    void policiesFilesAndKnowledgeReadBackWhatWasWritten() {
        String tenant = unique("t");
        TenantPolicies policies = new TenantPolicies(redis::sync);
        assertThat(policies.get(tenant)).isEmpty();
        policies.put(tenant, Map.of());
        policies.put(tenant, Map.of("min_retention", "0.9"));
        assertThat(policies.get(tenant)).containsExactly(Map.entry("min_retention", "0.9"));

        FileIndex files = new FileIndex(redis::sync);
        String a = unique("file-");
        String b = unique("file-");
        assertThat(files.admit(a, Map.of("tenant", tenant, "filename", "a.md", "bytes", "10"), 1000, 2, 25).admitted()).isTrue();
        assertThat(files.admit(b, Map.of("tenant", tenant, "filename", "b.md", "bytes", "15"), 2000, 2, 25))
                .isEqualTo(new FileIndex.Admission(true, "ok", 25));
        assertThat(files.ofTenant(tenant)).containsExactly(b, a);
        assertThat(files.get(a)).containsEntry("filename", "a.md");
        files.delete(tenant, a);
        assertThat(files.get(a)).isEmpty();
        assertThat(files.ofTenant(tenant)).containsExactly(b);

        KnowledgeIndex knowledge = new KnowledgeIndex(redis::sync);
        knowledge.put(tenant, "default", "ftjob-x-0", "{\"status\": \"live\"}");
        assertThat(knowledge.items(tenant, "default")).containsOnlyKeys("ftjob-x-0");
        assertThat(knowledge.item(tenant, "default", "ftjob-x-0")).contains("live");
        assertThat(knowledge.items(tenant, "support")).isEmpty();
    }

    /** Issue 19 #18: a tenant's uploads had no cap. Both caps hold, and two racing uploads cannot pass one together. */
    @Test
    void uploadsStopAtTheTenantsCaps() throws Exception {
        String tenant = unique("t");
        FileIndex files = new FileIndex(redis::sync);
        assertThat(files.admit(unique("file-"), Map.of("tenant", tenant, "bytes", "60"), 1, 3, 100).admitted()).isTrue();
        assertThat(files.admit(unique("file-"), Map.of("tenant", tenant, "bytes", "41"), 2, 3, 100))
                .as("past the bytes cap").isEqualTo(new FileIndex.Admission(false, "bytes", 60));
        assertThat(files.admit(unique("file-"), Map.of("tenant", tenant, "bytes", "40"), 3, 3, 100).admitted()).isTrue();
        assertThat(files.admit(unique("file-"), Map.of("tenant", tenant, "bytes", "0"), 4, 3, 100).admitted()).isTrue();
        assertThat(files.admit(unique("file-"), Map.of("tenant", tenant, "bytes", "0"), 5, 3, 100))
                .as("past the files cap").isEqualTo(new FileIndex.Admission(false, "files", 3));
        assertThat(files.ofTenant(tenant)).hasSize(3);

        String racing = unique("t");
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            java.util.List<java.util.concurrent.Future<Boolean>> tries = new java.util.ArrayList<>();
            for (int i = 0; i < 32; i++) {
                int n = i;
                tries.add(pool.submit(() -> new FileIndex(redis::sync)
                        .admit(unique("file-"), Map.of("tenant", racing, "bytes", "10"), n, 1000, 50).admitted()));
            }
            int admitted = 0;
            for (java.util.concurrent.Future<Boolean> t : tries) {
                admitted += t.get() ? 1 : 0;
            }
            assertThat(admitted).as("uploads of 10 bytes under a 50-byte cap").isEqualTo(5);
            assertThat(files.ofTenant(racing)).hasSize(5);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Issue 19 #7: one orchestrator runs a job at a time; a lease its owner stops renewing lapses. */
    @Test
    void aJobsLeaseIsItsOwnersUntilGivenUpOrLapsed() {
        JobStore jobs = new JobStore(redis::sync);
        String id = unique("ftjob-");
        assertThat(jobs.lease(id, "old", Duration.ofSeconds(30))).isTrue();
        assertThat(jobs.lease(id, "new", Duration.ofSeconds(30))).as("held by another").isFalse();
        assertThat(jobs.lease(id, "old", Duration.ofSeconds(30))).as("renewed by its owner").isTrue();
        jobs.releaseLease(id, "new");
        assertThat(jobs.leaseHolder(id)).as("only its owner gives it up").isEqualTo("old");
        jobs.releaseLease(id, "old");
        assertThat(jobs.lease(id, "new", Duration.ofMillis(300))).isTrue();
        org.awaitility.Awaitility.await("the lease lapsing").atMost(Duration.ofSeconds(5)).until(() -> jobs.leaseHolder(id) == null);
        assertThat(jobs.lease(id, "old", Duration.ofSeconds(30))).isTrue();
        jobs.releaseLease(id, "old");
    }
}
