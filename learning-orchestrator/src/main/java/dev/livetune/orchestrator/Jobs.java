package dev.livetune.orchestrator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.api.learn.JobPhase;
import dev.livetune.api.learn.LearnRequest;
import io.lettuce.core.SetArgs;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Learn jobs in Redis, under the keys the gateway reads: {@code livetune:job:<id>} (a hash: phase,
 * status, the request, results), {@code livetune:job-events:<id>} (the event history) and
 * {@code livetune:jobs:active} (jobs not yet ended, for resuming after a restart). A request id is
 * claimed once ({@code livetune:request:<id>}), so a redelivered request never makes a second job.
 */
@Singleton
public class Jobs {

    private final Redis redis;
    private final EventPublisher events;
    private final JobMetrics metrics;
    private final ObjectMapper json = new ObjectMapper();

    Jobs(Redis redis, EventPublisher events, JobMetrics metrics) {
        this.redis = redis;
        this.events = events;
        this.metrics = metrics;
    }

    /** @return false when this request was claimed before (a duplicate delivery) */
    public boolean claim(LearnRequest r) throws JsonProcessingException {
        String claimed = redis.sync().set("livetune:request:" + r.requestId(), r.jobId(), SetArgs.Builder.nx().ex(30 * 86400));
        if (claimed == null) {
            return false;
        }
        String key = "livetune:job:" + r.jobId();
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("id", r.jobId());
        fields.put("tenant", r.tenant());
        fields.put("adapter", r.adapter());
        fields.put("mode", Modes.resolved(r).mode());
        fields.put("request_id", r.requestId());
        fields.put("created_at", Long.toString(Instant.parse(r.createdAt()).getEpochSecond()));
        fields.forEach((k, v) -> redis.sync().hsetnx(key, k, v));
        redis.sync().hset(key, Map.of("request", json.writeValueAsString(r), "phase", JobPhase.RECEIVED.wire(),
                "phase_entered_ms", Long.toString(System.currentTimeMillis())));
        redis.sync().hsetnx(key, "status", JobPhase.RECEIVED.openAiStatus());
        redis.sync().zadd("livetune:tenant-jobs:" + r.tenant(), Instant.parse(r.createdAt()).toEpochMilli(), r.jobId());
        redis.sync().sadd("livetune:jobs:active", r.jobId());
        event(r.jobId(), "info", "Received by the orchestrator");
        return true;
    }

    public Map<String, String> get(String jobId) {
        return redis.sync().hgetall("livetune:job:" + jobId);
    }

    public LearnRequest request(String jobId) throws JsonProcessingException {
        return json.readValue(get(jobId).get("request"), LearnRequest.class);
    }

    public JobPhase phase(String jobId) {
        String p = redis.sync().hget("livetune:job:" + jobId, "phase");
        return p == null ? JobPhase.RECEIVED : JobPhase.ofWire(p);
    }

    /** Moves a job to a phase, with an event; a final phase takes it off the active set. */
    public void enter(String jobId, JobPhase phase, String message) {
        long now = System.currentTimeMillis();
        Map<String, String> before = redis.sync().hgetall("livetune:job:" + jobId);
        recordMetrics(before, phase, now);
        Map<String, String> f = new LinkedHashMap<>();
        f.put("phase", phase.wire());
        f.put("phase_entered_ms", Long.toString(now));
        f.put("status", phase.openAiStatus());
        if (phase.isFinal()) {
            f.put("finished_at", Long.toString(Instant.now().getEpochSecond()));
        }
        redis.sync().hset("livetune:job:" + jobId, f);
        event(jobId, phase == JobPhase.FAILED ? "error" : "info", message);
        if (phase.isFinal()) {
            redis.sync().srem("livetune:jobs:active", jobId);
        }
        Failpoints.hit("after-enter:" + phase.wire());
    }

    private void recordMetrics(Map<String, String> job, JobPhase next, long now) {
        String phase = job.get("phase");
        String entered = job.get("phase_entered_ms");
        if (phase != null && entered != null && !phase.equals(next.wire())) {
            metrics.phaseEnded(JobPhase.ofWire(phase), Duration.ofMillis(Math.max(0, now - Long.parseLong(entered))));
        }
        String created = job.get("created_at");
        if (next.isFinal() && created != null && (phase == null || !JobPhase.ofWire(phase).isFinal())) {
            metrics.jobEnded(next, Duration.ofMillis(Math.max(0, now - Long.parseLong(created) * 1000)));
        }
    }

    public void set(String jobId, Map<String, String> fields) {
        redis.sync().hset("livetune:job:" + jobId, fields);
    }

    public boolean cancelRequested(String jobId) {
        return "true".equals(redis.sync().hget("livetune:job:" + jobId, "cancel_requested"));
    }

    public Set<String> active() {
        return redis.sync().smembers("livetune:jobs:active");
    }

    /** Appends an event in OpenAI's {@code fine_tuning.job.event} shape. */
    public void event(String jobId, String level, String message) {
        ObjectNode e = json.createObjectNode();
        e.put("id", "ftevent-" + UUID.randomUUID().toString().replace("-", ""));
        e.put("object", "fine_tuning.job.event");
        e.put("created_at", Instant.now().getEpochSecond());
        e.put("level", level);
        e.put("message", message);
        e.putNull("data");
        e.put("type", "message");
        redis.sync().rpush("livetune:job-events:" + jobId, e.toString());
        Map<String, String> job = redis.sync().hgetall("livetune:job:" + jobId);
        events.publish(new dev.livetune.api.learn.LearnEvent(1, jobId, job.getOrDefault("tenant", ""),
                job.getOrDefault("phase", JobPhase.RECEIVED.wire()), level, message, Instant.now().toString()));
    }
}
