package dev.livetune.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.learn.LearnRequest;
import dev.livetune.api.trace.TraceContext;
import dev.livetune.state.AdapterStore;
import dev.livetune.state.JobStore;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Starts learn jobs: records the job, publishes the request (confirmed by the broker), and only then
 * lists it among the tenant's jobs. A publish the broker did not confirm in time rejects the job
 * ({@link JobStore#reject}) and the client gets 503: if the broker delivers the request after all,
 * the orchestrator drops it, so a client told 503 is never taught anything; if the orchestrator had
 * already accepted it, the job stands and the client gets it.
 */
@Singleton
public class Learning {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(Learning.class);

    private final LearnPublisher publisher;
    private final JobStore jobs;
    private final AdapterStore adapters;
    private final Quotas quotas;
    private final dev.livetune.state.TenantPolicies policies;
    private final GatewayConfig config;
    private final ObjectMapper json = new ObjectMapper();

    private final JobWatch watch;
    private final Tracer tracer;

    Learning(LearnPublisher publisher, JobStore jobs, AdapterStore adapters, Quotas quotas, GatewayConfig config,
            JobWatch watch, Tracer tracer, dev.livetune.state.TenantPolicies policies) {
        this.policies = policies;
        this.adapters = adapters;
        this.quotas = quotas;
        this.config = config;
        this.watch = watch;
        this.publisher = publisher;
        this.jobs = jobs;
        this.tracer = tracer;
    }

    /**
     * The job's trace begins here: a producer span, child of the client's request (HTTP or gRPC),
     * whose context the request carries to the orchestrator.
     *
     * @return the published request (its {@code jobId} names the job)
     */
    public LearnRequest start(String tenant, String alias, String mode, String text, List<String> fileIds, String session,
            List<String> context) {
        return start(tenant, alias, mode, text, fileIds, session, context, null);
    }

    /** @param options the client's training choices (a fine-tuning job's), or null for livetune's own */
    public LearnRequest start(String tenant, String alias, String mode, String text, List<String> fileIds, String session,
            List<String> context, dev.livetune.api.learn.TrainingOptions options) {
        if (mode.equals("web") && !policies.webLearning(tenant)) {
            throw OpenAiException.forbidden("web_learning_off", "this tenant does not learn from the web (its policy's"
                    + " web_learning is false); state the facts instead");
        }
        requireRoomFor(tenant, alias);
        quotas.admitLearning(tenant);
        String jobId = "ftjob-" + UUID.randomUUID().toString().replace("-", "");
        Span span = tracer.spanBuilder("learn-requests publish").setSpanKind(SpanKind.PRODUCER)
                .setAttribute("messaging.destination.name", LearnRequest.QUEUE).setAttribute("livetune.job.id", jobId)
                .setAttribute("livetune.tenant", tenant).setAttribute("livetune.adapter", alias).startSpan();
        try (Scope scope = span.makeCurrent()) {
            LearnRequest r = new LearnRequest(LearnRequest.SCHEMA_VERSION, UUID.randomUUID().toString(), jobId, tenant, alias,
                    mode, text, fileIds, session, context, Instant.now().toString(), TraceContext.current())
                    .withOptions(options);
            // signed, so the orchestrator runs only what a gateway sent (not what another user of the broker made up)
            return publishAndRecord(config.generateSecret().filter(k -> !k.isBlank()).map(r::signed).orElse(r));
        } catch (RuntimeException e) {
            throw TraceContext.failed(span, e);
        } finally {
            span.end();
        }
    }

    /**
     * A tenant keeps at most {@code max-adapters-per-tenant} adapters (each is memory on every
     * inference replica that serves it): teaching a new alias past that is refused, 429.
     */
    private void requireRoomFor(String tenant, String alias) {
        if (adapters.hasAlias(tenant, alias)) {
            return;
        }
        int held = adapters.aliases(tenant).size();
        if (held >= config.maxAdaptersPerTenant()) {
            throw OpenAiException.storageFull("this tenant already has " + held + " adapters, the most it may; teach one of"
                    + " them (model: " + String.join(", ", new java.util.TreeSet<>(adapters.aliases(tenant))) + ")");
        }
    }

    /** Modes that add knowledge: under a tenant's approval policy they wait for an administrator. */
    private static final java.util.Set<String> TEACHING = java.util.Set.of("auto", "instruction", "web", "doc",
            JobsResource.SUPERVISED);

    /** @return whether a job of this mode waits for an administrator's approval before it runs */
    public boolean awaitsApproval(String tenant, String mode) {
        return TEACHING.contains(mode) && policies.approvalRequired(tenant);
    }

    /**
     * Approves a job waiting for it: its request is published now.
     *
     * @throws OpenAiException 404 for no such pending job of the tenant, 409 when it was approved or
     *                         denied before, 503 when the broker did not confirm (the job stays pending)
     */
    public void approve(String tenant, String jobId) {
        Map<String, String> j = pendingOf(tenant, jobId);
        if (!jobs.approve(jobId)) {
            throw new OpenAiException(409, "invalid_request_error", "job_not_pending", null,
                    "job " + jobId + " is not waiting for approval (it is " + jobs.get(jobId).get("status") + ")", null);
        }
        LearnRequest r;
        try {
            r = json.readValue(j.get("request"), LearnRequest.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("job " + jobId + " holds an unreadable request", e);
        }
        try {
            publisher.publish(r);
        } catch (OpenAiException e) {
            jobs.unapprove(jobId);
            throw e;
        }
        event(jobId, Instant.now(), "info", "Approved by an administrator; learn request queued (" + r.mode() + ")");
    }

    /**
     * Denies a job waiting for approval: it ends cancelled, the reason as its error.
     *
     * @throws OpenAiException 404 for no such job of the tenant, 409 when it is not pending
     */
    public void deny(String tenant, String jobId, String reason) {
        pendingOf(tenant, jobId);
        String why = reason == null || reason.isBlank() ? "denied by an administrator" : "denied by an administrator: " + reason;
        if (!jobs.deny(jobId, why)) {
            throw new OpenAiException(409, "invalid_request_error", "job_not_pending", null,
                    "job " + jobId + " is not waiting for approval (it is " + jobs.get(jobId).get("status") + ")", null);
        }
        event(jobId, Instant.now(), "warn", "Denied: " + why);
    }

    private Map<String, String> pendingOf(String tenant, String jobId) {
        Map<String, String> j = jobs.get(jobId);
        if (j == null || j.isEmpty() || !tenant.equals(j.get("tenant"))) {
            throw OpenAiException.notFound("job_not_found", "no job " + jobId + " of tenant " + tenant);
        }
        return j;
    }

    private LearnRequest publishAndRecord(LearnRequest r) {
        String jobId = r.jobId();
        String tenant = r.tenant();
        String alias = r.adapter();
        String mode = r.mode();
        List<String> fileIds = r.fileIds();
        Instant created = Instant.parse(r.createdAt());
        Map<String, String> job = new java.util.LinkedHashMap<>();
        job.put("id", jobId);
        job.put("tenant", tenant);
        job.put("adapter", alias);
        job.put("mode", mode);
        job.put("status", "queued");
        job.put("request_id", r.requestId());
        job.put("created_at", Long.toString(created.getEpochSecond()));
        job.put("training_file", fileIds.isEmpty() ? "" : fileIds.get(0));
        // The request itself, so a standalone livetune killed before its orchestrator took the request
        // from the in-process queue can send it again on the next start (the orchestrator writes the same).
        try {
            job.put("request", json.writeValueAsString(r));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        if (awaitsApproval(tenant, mode)) {
            // the tenant's policy: an administrator reads what would be learned and approves it (or not) first
            jobs.recordPending(jobId, job);
            jobs.index(tenant, jobId, created);
            event(jobId, created, "info", "Learn request waiting for an administrator's approval (" + mode + ")");
            return r;
        }
        jobs.recordQueued(jobId, job);
        try {
            publisher.publish(r);
        } catch (OpenAiException e) {
            if (jobs.reject(jobId)) {
                throw e;
            }
            LOG.infof("learn request %s was not confirmed in time, but job %s was already accepted", r.requestId(), jobId);
        }
        jobs.index(tenant, jobId, created);
        event(jobId, created, "info", "Learn request queued (" + mode + ")");
        return r;
    }

    private static final java.util.Set<String> TERMINAL = java.util.Set.of("succeeded", "failed", "cancelled");

    /**
     * Waits for a job to end (a rollback's or a deletion's, which the caller answers with).
     *
     * @param abandoned whether the caller went away meanwhile
     * @return the job as it ended, or as it stood when the caller went away
     */
    public Map<String, String> awaitEnd(String jobId, java.util.function.BooleanSupplier abandoned) throws InterruptedException {
        Map<String, String> job = jobs.get(jobId);
        try (dev.livetune.broker.Wakeups.Watch w = watch.watch(jobId)) {
            while (!TERMINAL.contains(job.get("status")) && !abandoned.getAsBoolean()) {
                long mark = w.mark();
                job = jobs.get(jobId);
                if (!TERMINAL.contains(job.get("status"))) {
                    watch.await(w, mark, java.time.Duration.ofSeconds(15));
                }
            }
        }
        return job;
    }

    /** Appends an event to a job's log. */
    public void event(String jobId, Instant at, String level, String message) {
        jobs.event(jobId, at, level, message);
        watch.wake(jobId);
    }
}
