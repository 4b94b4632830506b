package dev.livetune.orchestrator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.learn.JobPhase;
import dev.livetune.api.learn.LearnRequest;
import dev.livetune.state.JobStore;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Learn jobs as the orchestrator drives them, kept in Redis by {@link JobStore}: a request id is
 * claimed once, so a redelivered request never makes a second job; every phase change is an event
 * (stored for the API, published on {@code learn-events} to wake watchers) and a metric.
 */
@Singleton
public class Jobs {

    private final JobStore store;
    private final EventPublisher events;
    private final JobMetrics metrics;
    private final ObjectMapper json = new ObjectMapper();

    Jobs(JobStore store, EventPublisher events, JobMetrics metrics) {
        this.store = store;
        this.events = events;
        this.metrics = metrics;
    }

    /** @return false when the gateway rejected the job's request: drop it (see {@link JobStore#reject}) */
    public boolean accept(String jobId) {
        return store.accept(jobId);
    }

    /**
     * Claims the request and records its job, in one step ({@link JobStore#claim}).
     *
     * @return false when this request was claimed before (a duplicate delivery)
     */
    public boolean claim(LearnRequest r) throws JsonProcessingException {
        Instant created = Instant.parse(r.createdAt());
        Map<String, String> absent = new LinkedHashMap<>();
        absent.put("id", r.jobId());
        absent.put("tenant", r.tenant());
        absent.put("adapter", r.adapter());
        absent.put("mode", Modes.resolved(r).mode());
        absent.put("request_id", r.requestId());
        absent.put("created_at", Long.toString(created.getEpochSecond()));
        absent.put("status", JobPhase.RECEIVED.openAiStatus());
        Map<String, String> fields = Map.of("request", json.writeValueAsString(r), "phase", JobPhase.RECEIVED.wire(),
                "phase_entered_ms", Long.toString(System.currentTimeMillis()));
        if (!store.claim(r.requestId(), r.jobId(), r.tenant(), created, absent, fields)) {
            return false;
        }
        event(r.jobId(), "info", "Received by the orchestrator");
        return true;
    }

    public Map<String, String> get(String jobId) {
        return store.get(jobId);
    }

    public LearnRequest request(String jobId) throws JsonProcessingException {
        return json.readValue(store.field(jobId, "request"), LearnRequest.class);
    }

    public JobPhase phase(String jobId) {
        String p = store.field(jobId, "phase");
        return p == null ? JobPhase.RECEIVED : JobPhase.ofWire(p);
    }

    /** Moves a job to a phase, with an event; a final phase takes it off the active set. */
    public void enter(String jobId, JobPhase phase, String message) {
        long now = System.currentTimeMillis();
        recordMetrics(store.get(jobId), phase, now);
        Map<String, String> f = new LinkedHashMap<>();
        f.put("phase", phase.wire());
        f.put("phase_entered_ms", Long.toString(now));
        f.put("status", phase.openAiStatus());
        if (phase.isFinal()) {
            f.put("finished_at", Long.toString(Instant.now().getEpochSecond()));
        }
        store.set(jobId, f);
        event(jobId, phase == JobPhase.FAILED ? "error" : "info", message);
        if (phase.isFinal()) {
            store.ended(jobId);
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
        store.set(jobId, fields);
    }

    public boolean cancelRequested(String jobId) {
        return store.cancelRequested(jobId);
    }

    public Set<String> active() {
        return store.active();
    }

    /** @see JobStore#lease */
    public boolean lease(String jobId, String owner, Duration ttl) {
        return store.lease(jobId, owner, ttl);
    }

    /** @see JobStore#releaseLease */
    public void releaseLease(String jobId, String owner) {
        store.releaseLease(jobId, owner);
    }

    public String leaseHolder(String jobId) {
        return store.leaseHolder(jobId);
    }

    /** Appends an event in OpenAI's {@code fine_tuning.job.event} shape and publishes it. */
    public void event(String jobId, String level, String message) {
        Instant now = Instant.now();
        store.event(jobId, now, level, message);
        publish(jobId, now, level, message);
    }

    /** Appends a {@code metrics} event (step, total steps, training loss in its {@code data}) and publishes it. */
    public void metrics(String jobId, int step, int totalSteps, double trainLoss) {
        Instant now = Instant.now();
        store.metrics(jobId, now, step, totalSteps, trainLoss);
        publish(jobId, now, "info", JobStore.stepMessage(step, totalSteps, trainLoss));
    }

    private void publish(String jobId, Instant now, String level, String message) {
        Map<String, String> job = store.get(jobId);
        events.publish(new dev.livetune.api.learn.LearnEvent(1, jobId, job.getOrDefault("tenant", ""),
                job.getOrDefault("phase", JobPhase.RECEIVED.wire()), level, message, now.toString()));
    }
}
