package dev.livetune.state;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Learn jobs: {@code livetune:job:<id>} (a hash: tenant, adapter, mode, phase, status, the request,
 * results), {@code livetune:job-events:<id>} (the event history, OpenAI's {@code fine_tuning.job.event}
 * objects as JSON, oldest first), {@code livetune:tenant-jobs:<tenant>} (the tenant's jobs by creation
 * time), {@code livetune:jobs:active} (claimed jobs not yet ended, for resuming after a restart) and
 * {@code livetune:request:<id>} (a request id claimed once, so a redelivery never makes a second job)
 * and {@code livetune:job-lease:<id>} (which orchestrator runs the job now).
 *
 * <p>Owner: learning-orchestrator, from the claim on. Before that the gateway records the job as
 * queued (fields set only where absent, so a claim that came first is never set back), and it flags a
 * cancellation, which the orchestrator acts on.
 *
 * <p>Whether a request was accepted is settled once, by whichever side comes first
 * ({@code acceptance} in the job): the gateway records the job before it publishes the request; if
 * the broker does not confirm the publish in time, the gateway {@linkplain #reject rejects} it and
 * tells the client 503, unless the orchestrator {@linkplain #accept accepted} it already; an
 * orchestrator that receives a rejected request (the broker delivering it after all) drops it.
 */
public final class JobStore {

    private static final String JOB = "livetune:job:";
    private static final String EVENTS = "livetune:job-events:";
    private static final String TENANT_JOBS = "livetune:tenant-jobs:";
    private static final String ACTIVE = "livetune:jobs:active";
    private static final String REQUEST = "livetune:request:";
    private static final String LEASE = "livetune:job-lease:";
    private static final Duration CLAIM_KEPT = Duration.ofDays(30);
    /** How long a job nobody accepted is kept: a gateway that died between recording and publishing. */
    private static final Duration UNACCEPTED_KEPT = Duration.ofDays(1);
    private static final String ACCEPTANCE = "acceptance";
    private static final String ACCEPTED = "accepted";
    private static final String REJECTED = "rejected";

    /** KEYS: the request claim, the job, the tenant's jobs, the active set; ARGV: see {@link #claim}. */
    private static final String CLAIM = """
            if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 0 end
            local i = 5
            for _ = 1, tonumber(ARGV[4]) do
              redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1])
              i = i + 2
            end
            while i <= #ARGV do
              redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
              i = i + 2
            end
            redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
            redis.call('SADD', KEYS[4], ARGV[1])
            return 1
            """;

    /** KEYS: the lease; ARGV: the owner, its time to live (ms). Taken when free or already the owner's. */
    private static final String TAKE_LEASE = """
            local holder = redis.call('GET', KEYS[1])
            if holder == false or holder == ARGV[1] then
              redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
              return 1
            end
            return 0
            """;
    /** KEYS: the lease; ARGV: the owner. Dropped only by its owner. */
    private static final String DROP_LEASE = """
            if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
            return 0
            """;

    private final Supplier<RedisCommands<String, String>> redis;
    private final ObjectMapper json = new ObjectMapper();

    public JobStore(Supplier<RedisCommands<String, String>> redis) {
        this.redis = redis;
    }

    /** @return the job's fields; empty when there is no such job */
    public Map<String, String> get(String jobId) {
        return redis.get().hgetall(JOB + jobId);
    }

    /** @return one field of the job, or null */
    public String field(String jobId, String name) {
        return redis.get().hget(JOB + jobId, name);
    }

    public void set(String jobId, Map<String, String> fields) {
        redis.get().hset(JOB + jobId, fields);
    }

    /** Sets the fields the job does not have yet (a queued record never overwrites the orchestrator's). */
    public void setAbsent(String jobId, Map<String, String> fields) {
        RedisCommands<String, String> r = redis.get();
        fields.forEach((k, v) -> r.hsetnx(JOB + jobId, k, v));
    }

    /**
     * Records a job about to be published (the gateway): its fields where absent, kept for a day
     * unless the orchestrator accepts it, and not yet listed among the tenant's jobs.
     */
    public void recordQueued(String jobId, Map<String, String> fields) {
        setAbsent(jobId, fields);
        redis.get().expire(JOB + jobId, UNACCEPTED_KEPT.toSeconds());
    }

    /**
     * Records a job that waits for an administrator's approval (the gateway, when the tenant's
     * policy asks for it): status {@code pending_approval}, its request kept, nothing published. It
     * is kept 30 days unless approved or denied.
     */
    public void recordPending(String jobId, Map<String, String> fields) {
        Map<String, String> pending = new java.util.LinkedHashMap<>(fields);
        pending.put("status", PENDING_APPROVAL);
        setAbsent(jobId, pending);
        redis.get().expire(JOB + jobId, CLAIM_KEPT.toSeconds());
    }

    /** The status of a job that waits for an administrator's approval. */
    public static final String PENDING_APPROVAL = "pending_approval";

    /** KEYS: job; ARGV: new status, seconds kept. 1 when it was pending and now has the new status. */
    private static final String SETTLE_PENDING = """
            if redis.call('HGET', KEYS[1], 'status') ~= 'pending_approval' then return 0 end
            redis.call('HSET', KEYS[1], 'status', ARGV[1])
            redis.call('EXPIRE', KEYS[1], ARGV[2])
            return 1
            """;

    /**
     * Approves a pending job: its status becomes {@code queued} (publish its request next).
     *
     * @return false when the job was not pending (approved or denied before, or unknown)
     */
    public boolean approve(String jobId) {
        return settlePending(jobId, "queued", UNACCEPTED_KEPT);
    }

    /** Puts an approved job back to pending: its request could not be published. */
    public void unapprove(String jobId) {
        redis.get().hset(JOB + jobId, "status", PENDING_APPROVAL);
        redis.get().expire(JOB + jobId, CLAIM_KEPT.toSeconds());
    }

    /**
     * Denies a pending job: it ends {@code cancelled} with the reason as its error.
     *
     * @return false when the job was not pending
     */
    public boolean deny(String jobId, String reason) {
        if (!settlePending(jobId, "cancelled", CLAIM_KEPT)) {
            return false;
        }
        redis.get().hset(JOB + jobId, Map.of("error", reason, "finished_at", Long.toString(Instant.now().getEpochSecond())));
        return true;
    }

    private boolean settlePending(String jobId, String status, Duration kept) {
        Long done = redis.get().eval(SETTLE_PENDING, io.lettuce.core.ScriptOutputType.INTEGER, new String[] {JOB + jobId},
                status, Long.toString(kept.toSeconds()));
        return done != null && done == 1;
    }

    /**
     * Rejects a request whose publish was not confirmed (the gateway): an orchestrator that receives
     * it later drops it.
     *
     * @return true when rejected; false when the orchestrator accepted it first (it runs)
     */
    public boolean reject(String jobId) {
        RedisCommands<String, String> r = redis.get();
        return r.hsetnx(JOB + jobId, ACCEPTANCE, REJECTED) || REJECTED.equals(r.hget(JOB + jobId, ACCEPTANCE));
    }

    /**
     * Accepts a received request (the orchestrator), for good: the job is kept from now on.
     *
     * @return false when the gateway rejected it (its client was told 503): drop it
     */
    public boolean accept(String jobId) {
        RedisCommands<String, String> r = redis.get();
        if (!r.hsetnx(JOB + jobId, ACCEPTANCE, ACCEPTED) && REJECTED.equals(r.hget(JOB + jobId, ACCEPTANCE))) {
            return false;
        }
        r.persist(JOB + jobId);
        return true;
    }

    /** Lists the job among its tenant's, ordered by creation time. */
    public void index(String tenant, String jobId, Instant created) {
        redis.get().zadd(TENANT_JOBS + tenant, created.toEpochMilli(), jobId);
    }

    /** @return the tenant's job ids, newest first */
    public List<String> ofTenant(String tenant) {
        return redis.get().zrevrange(TENANT_JOBS + tenant, 0, -1);
    }

    /**
     * Claims a request and records its job in one step (a Lua script, which Redis runs whole or not at
     * all): the request id, the job's fields, its place among the tenant's jobs and in the active set.
     * Done as separate commands, a crash (or Redis lost) between the claim and the record left a
     * request that every redelivery took for a duplicate, and a job that never ran.
     *
     * @param absent fields set only where the job has none yet (the gateway's queued record may have them)
     * @param fields fields set whatever the job has
     * @return false when this request id was claimed before (a duplicate delivery): nothing written
     */
    public boolean claim(String requestId, String jobId, String tenant, Instant created, Map<String, String> absent,
            Map<String, String> fields) {
        List<String> args = new ArrayList<>(List.of(jobId, Long.toString(CLAIM_KEPT.toSeconds()),
                Long.toString(created.toEpochMilli()), Integer.toString(absent.size())));
        absent.forEach((k, v) -> {
            args.add(k);
            args.add(v);
        });
        fields.forEach((k, v) -> {
            args.add(k);
            args.add(v);
        });
        Long claimed = redis.get().eval(CLAIM, ScriptOutputType.INTEGER,
                new String[] {REQUEST + requestId, JOB + jobId, TENANT_JOBS + tenant, ACTIVE}, args.toArray(String[]::new));
        return claimed != null && claimed == 1L;
    }

    /**
     * Takes or renews the lease on running a job ({@code livetune:job-lease:<id>}): one orchestrator
     * runs a job at a time, even while two run side by side in a rolling update. A lease its owner
     * stops renewing (a killed process) lapses after {@code ttl}.
     *
     * @return whether {@code owner} holds the lease now
     */
    public boolean lease(String jobId, String owner, Duration ttl) {
        Long taken = redis.get().eval(TAKE_LEASE, ScriptOutputType.INTEGER, new String[] {LEASE + jobId}, owner,
                Long.toString(ttl.toMillis()));
        return taken != null && taken == 1L;
    }

    /** Gives the lease up, if {@code owner} holds it: another orchestrator may run the job at once. */
    public void releaseLease(String jobId, String owner) {
        redis.get().eval(DROP_LEASE, ScriptOutputType.INTEGER, new String[] {LEASE + jobId}, owner);
    }

    /** @return who holds the job's lease, or null */
    public String leaseHolder(String jobId) {
        return redis.get().get(LEASE + jobId);
    }

    public void ended(String jobId) {
        redis.get().srem(ACTIVE, jobId);
    }

    /** @return the claimed jobs not yet ended */
    public Set<String> active() {
        return redis.get().smembers(ACTIVE);
    }

    public long activeCount() {
        return redis.get().scard(ACTIVE);
    }

    /** Flags the job cancelled; the orchestrator stops it in whatever phase it is. */
    public void requestCancel(String jobId, Instant at) {
        set(jobId, Map.of("cancel_requested", "true", "status", "cancelled", "finished_at", Long.toString(at.getEpochSecond())));
    }

    public boolean cancelRequested(String jobId) {
        return "true".equals(field(jobId, "cancel_requested"));
    }

    /**
     * Appends an event in OpenAI's {@code fine_tuning.job.event} shape.
     *
     * @return the event as stored
     */
    public String event(String jobId, Instant at, String level, String message) {
        return append(jobId, at, level, message, null);
    }

    /**
     * Appends a training-progress event: OpenAI's {@code metrics} type, with {@code data}
     * {@code {"step", "total_steps", "train_loss"}}.
     *
     * @return the event as stored
     */
    public String metrics(String jobId, Instant at, int step, int totalSteps, double trainLoss) {
        ObjectNode data = json.createObjectNode();
        data.put("step", step);
        data.put("total_steps", totalSteps);
        data.put("train_loss", trainLoss);
        return append(jobId, at, "info", stepMessage(step, totalSteps, trainLoss), data);
    }

    /** @return how a training step reads in the job's events, e.g. {@code Step 8/80: training loss=1.2345} */
    public static String stepMessage(int step, int totalSteps, double trainLoss) {
        return String.format(java.util.Locale.ROOT, "Step %d/%d: training loss=%.4f", step, totalSteps, trainLoss);
    }

    private String append(String jobId, Instant at, String level, String message, ObjectNode data) {
        ObjectNode e = json.createObjectNode();
        e.put("id", "ftevent-" + UUID.randomUUID().toString().replace("-", ""));
        e.put("object", "fine_tuning.job.event");
        e.put("created_at", at.getEpochSecond());
        e.put("level", level);
        e.put("message", message);
        if (data == null) {
            e.putNull("data");
            e.put("type", "message");
        } else {
            e.set("data", data);
            e.put("type", "metrics");
        }
        String s = e.toString();
        redis.get().rpush(EVENTS + jobId, s);
        return s;
    }

    /** @return the job's events from index {@code from} on, oldest first, as stored */
    public List<String> events(String jobId, long from) {
        return redis.get().lrange(EVENTS + jobId, from, -1);
    }

    /**
     * @return jobs the gateway recorded as queued that no orchestrator claimed (no phase yet), with
     *         their requests: in standalone the queue between the two is in memory, and a JVM killed in
     *         between loses the message while Redis keeps the job
     */
    public List<Map<String, String>> unclaimed() {
        RedisCommands<String, String> r = redis.get();
        List<Map<String, String>> out = new ArrayList<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = r.scan(cursor, ScanArgs.Builder.matches(JOB + "*").limit(500));
            for (String key : page.getKeys()) {
                Map<String, String> job = r.hgetall(key);
                if (job.get("request") != null && !job.containsKey("phase") && "queued".equals(job.get("status"))
                        && !REJECTED.equals(job.get(ACCEPTANCE))) {
                    out.add(job);
                }
            }
            cursor = page;
        } while (!cursor.isFinished());
        return out;
    }
}
