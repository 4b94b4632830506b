package dev.livetune.orchestrator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.api.artifact.ArtifactLayout;
import dev.livetune.api.artifact.EvalReport;
import dev.livetune.api.augment.AugmentResult;
import dev.livetune.api.learn.JobPhase;
import dev.livetune.api.learn.LearnRequest;
import dev.livetune.api.learn.TrainingOptions;
import dev.livetune.api.trace.TraceContext;
import dev.livetune.state.AdapterStore;
import dev.livetune.state.TenantPolicies;
import io.lettuce.core.RedisException;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Drives a job from its persisted phase to the end: received → augmenting → dataset ready →
 * training → evaluating → releasing → succeeded (or failed / cancelled). Every phase is idempotent
 * and recorded before the next begins, so a job picked up again after a crash continues where it
 * was: a dataset that exists is used, the trainer resumes from its checkpoint (same version, same
 * output directory), a finished adapter is not trained again, and releasing the same version twice
 * is harmless. One orchestrator runs a job at a time (a lease in Redis, renewed while it runs): in a
 * rolling update the new pod leaves the old one's jobs alone until it stops, and a killed one's
 * lease lapses after 20 s. A job whose progress cannot be recorded (Redis away) is not failed for it: it runs
 * again a little later from its last recorded phase. One job at a time per tenant adapter ({@link AdapterLanes}: a job waiting for its
 * adapter holds no worker, and adapters take turns on the workers). A request coalesced into another
 * job holds nothing while it waits: it ends when that job ends, settled by that job or, if it ended
 * first, by itself.
 *
 * <p>Each run of a job is a span, {@code learn job}, continuing the trace of the request that
 * started it (its {@code traceparent}, kept with the job, so a resumed job joins the same trace), and
 * each phase a child span named after it. The augmentation tasks, the trainer and the Kubernetes
 * resources of a phase carry that phase's context on.
 */
@Singleton
public class Pipeline {

    private static final Logger LOG = Logger.getLogger(Pipeline.class);

    /** The mode of a job that makes an earlier version live again (its text: the version number). */
    public static final String ROLLBACK = "rollback";
    /** The mode of a job that deletes a version that is not live (its text: the version number). */
    public static final String DELETE = "delete";
    /** The mode of a job that trains on the tenant's own chat-format samples (a fine-tuning job's JSONL file). */
    public static final String SUPERVISED = "supervised";
    /** Passes over a supervised job's samples when its client left {@code n_epochs} to livetune, as OpenAI does for small files. */
    static final int SUPERVISED_EPOCHS = 3;

    private final Jobs jobs;
    private final Datasets datasets;
    private final Augmentation augmentation;
    private final TrainingLauncher trainer;
    private final AdapterReleaser releaser;
    private final AdapterStore adapters;
    private final TenantPolicies policies;
    private final OrchestratorConfig config;
    private final ExecutorService workers;
    private final AdapterLanes lanes;
    private final Map<String, Boolean> running = new ConcurrentHashMap<>();
    /** How long a job's lease lasts unrenewed: a killed orchestrator's jobs wait this long for another. */
    private static final Duration LEASE = Duration.ofSeconds(20);
    /** The jobs this orchestrator runs now, whose leases it renews. */
    private final Set<String> held = ConcurrentHashMap.newKeySet();
    /**
     * Held while leases are renewed and while a run gives its lease up: a renewal that had read the
     * job from {@link #held} before its run ended would otherwise take the lease again, for nobody.
     */
    private final Object leaseChanges = new Object();
    /** Jobs whose progress could not be recorded, with how many times in a row. */
    private final Map<String, Integer> unrecorded = new ConcurrentHashMap<>();
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "learn-job-retries");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean stopping;
    private final ObjectMapper json = new ObjectMapper();
    private final Tracer tracer;

    Pipeline(Jobs jobs, Datasets datasets, Augmentation augmentation, TrainingLauncher trainer, AdapterReleaser releaser,
            AdapterStore adapters, TenantPolicies policies, OrchestratorConfig config, Tracer tracer) {
        this.tracer = tracer;
        this.jobs = jobs;
        this.datasets = datasets;
        this.augmentation = augmentation;
        this.trainer = trainer;
        this.releaser = releaser;
        this.adapters = adapters;
        this.policies = policies;
        this.config = config;
        this.workers = Executors.newFixedThreadPool(config.workers(), r -> {
            Thread t = new Thread(r, "learn-job");
            t.setDaemon(true);
            return t;
        });
        this.lanes = new AdapterLanes(workers);
        retries.scheduleWithFixedDelay(this::renewLeases, LEASE.toMillis() / 4, LEASE.toMillis() / 4, TimeUnit.MILLISECONDS);
    }

    /**
     * Queues a job (again) behind the jobs of its tenant's adapter; a job already queued or being
     * worked on is not queued twice.
     */
    public void submit(String jobId, String tenant, String adapter) {
        if (running.putIfAbsent(jobId, Boolean.TRUE) == null) {
            String lane = tenant + "/" + adapter;
            lanes.submit(lane, () -> runToAnEnd(jobId, tenant, adapter));
            int ahead = lanes.waiting(lane) - 1;
            if (ahead > 0) {
                LOG.debugf("job %s waits behind %d job(s) of %s", jobId, ahead, lane);
            }
        }
    }

    /**
     * Runs a job on a worker. A job whose end could not be recorded (Redis away, or any other error
     * past the job's own failure handling) is run again a little later, from its persisted phase, as
     * after a restart: it is never left active with no one running it. An {@link Error} (out of
     * memory, say) fails the job with the error named, when Redis lets that be recorded.
     */
    private void runToAnEnd(String jobId, String tenant, String adapter) {
        Duration again = null;
        boolean leased = false;
        try {
            leased = jobs.lease(jobId, config.instanceId(), LEASE);
            if (!leased) {
                // Another orchestrator runs it (a rolling update's old pod): look again once its lease could have lapsed.
                again = LEASE;
                LOG.infof("job %s is being run by orchestrator %s; looking again in %d s", jobId, jobs.leaseHolder(jobId),
                        LEASE.toSeconds());
            } else {
                held.add(jobId);
                run(jobId);
                unrecorded.remove(jobId);
            }
        } catch (RuntimeException e) {
            again = later(jobId);
            LOG.warnf("job %s: its progress could not be recorded (%s); running it again in %s s from its last recorded phase",
                    jobId, e, again.toSeconds());
        } catch (Error e) {
            LOG.errorf(e, "job %s: %s", jobId, e);
            try {
                jobs.set(jobId, Map.of("error", e.toString()));
                jobs.enter(jobId, JobPhase.FAILED, "Failed: the orchestrator hit " + e);
                unrecorded.remove(jobId);
            } catch (RuntimeException notRecorded) {
                again = later(jobId);
            }
        } finally {
            synchronized (leaseChanges) {
                held.remove(jobId);
                if (leased) {
                    releaseQuietly(jobId);
                }
            }
            running.remove(jobId);
        }
        if (again != null && !stopping) {
            try {
                retries.schedule(() -> submit(jobId, tenant, adapter), again.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                LOG.debugf("job %s: not run again, the orchestrator is stopping; it resumes at the next start", jobId);
            }
        }
    }

    private void releaseQuietly(String jobId) {
        try {
            jobs.releaseLease(jobId, config.instanceId());
        } catch (RuntimeException e) {
            LOG.debugf("job %s: its lease lapses by itself (%s)", jobId, e);
        }
    }

    /** Keeps the leases of the jobs this orchestrator runs; one it finds taken is reported (it lapsed meanwhile). */
    private void renewLeases() {
        synchronized (leaseChanges) {
            for (String jobId : held) {
                try {
                    if (!jobs.lease(jobId, config.instanceId(), LEASE)) {
                        LOG.errorf("job %s: its lease was taken by orchestrator %s while this one ran it (it could not renew"
                                + " it for %d s)", jobId, jobs.leaseHolder(jobId), LEASE.toSeconds());
                    }
                } catch (RuntimeException e) {
                    LOG.debugf("job %s: lease not renewed (%s)", jobId, e);
                }
            }
        }
    }

    /** 1, 2, 4 … 30 s: how long a job whose progress could not be recorded waits before it runs again. */
    private Duration later(String jobId) {
        int n = unrecorded.merge(jobId, 1, Integer::sum);
        return Duration.ofSeconds(Math.min(30, 1L << Math.min(n - 1, 5)));
    }

    /** @return whether {@code e} comes of Redis being away (its cause chain holds a Lettuce exception) */
    static boolean storeAway(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RedisException) {
                return true;
            }
        }
        return false;
    }

    /** Rethrows {@code e} when Redis is away: the job is not failed for it, it runs again later. */
    private static void unlessStoreAway(Exception e) {
        if (storeAway(e)) {
            throw e instanceof RuntimeException re ? re : new IllegalStateException(e);
        }
    }

    void run(String jobId) {
        LearnRequest r;
        try {
            r = Modes.resolved(jobs.request(jobId));
        } catch (Exception e) {
            unlessStoreAway(e);
            LOG.errorf(e, "job %s: unreadable request", jobId);
            jobs.enter(jobId, JobPhase.FAILED, "the job's request cannot be read");
            return;
        }
        Span span = tracer.spanBuilder("learn job").setParent(TraceContext.parent(r.traceparent()))
                .setSpanKind(SpanKind.CONSUMER).setAttribute("livetune.job.id", jobId)
                .setAttribute("livetune.tenant", r.tenant()).setAttribute("livetune.adapter", r.adapter())
                .setAttribute("livetune.learn.mode", r.mode()).startSpan();
        try (Scope scope = span.makeCurrent()) {
            run(r, span);
        } finally {
            try {
                JobPhase end = jobs.phase(jobId);
                span.setAttribute("livetune.job.phase", end.wire());
                if (end == JobPhase.FAILED) {
                    span.setStatus(StatusCode.ERROR, jobs.get(jobId).getOrDefault("error", "failed"));
                }
            } catch (RuntimeException e) {
                LOG.debugf("job %s: its outcome is unknown to its span (%s)", jobId, e);
            }
            span.end();
        }
    }

    private void run(LearnRequest r, Span span) {
        String jobId = r.jobId();
        JobPhase phase = jobs.phase(jobId);
        String leader = jobs.get(jobId).get("coalesced_into");
        if (leader != null && !phase.isFinal()) {
            span.setAttribute("livetune.job.learned_with", leader);
            if (jobs.phase(leader).isFinal() || jobs.get(leader).isEmpty()) {
                settle(jobId, leader);
            }
            // otherwise the leader settles it when it ends
            return;
        }
        try {
            try {
                if (r.mode().equals("web") && phase == JobPhase.RECEIVED && !policies.webLearning(r.tenant())) {
                    // a bare topic resolves to web learning here, after the gateway checked the stated mode
                    throw new JobFailure("this tenant does not learn from the web (its policy's web_learning is false);"
                            + " state the facts instead");
                }
                while (!phase.isFinal()) {
                    if (jobs.cancelRequested(jobId)) {
                        jobs.enter(jobId, JobPhase.CANCELLED, "Cancelled");
                        return;
                    }
                    phase = traced(r, phase);
                }
            } catch (JobFailure e) {
                unlessStoreAway(e);
                if (stopping) {
                    paused(jobId, phase);
                    return;
                }
                if (jobs.cancelRequested(jobId)) {
                    jobs.enter(jobId, JobPhase.CANCELLED, "Cancelled");
                } else {
                    jobs.set(jobId, Map.of("error", e.getMessage()));
                    jobs.enter(jobId, JobPhase.FAILED, "Failed: " + e.getMessage());
                }
            } catch (Exception e) {
                if (stopping) {
                    paused(jobId, phase);
                    return;
                }
                unlessStoreAway(e);
                LOG.errorf(e, "job %s failed in phase %s", jobId, phase);
                jobs.set(jobId, Map.of("error", e.toString()));
                jobs.enter(jobId, JobPhase.FAILED, "Failed in " + phase.wire() + ": " + e.getMessage());
            }
        } finally {
            String coalesced = stopping ? null : jobs.get(jobId).get("coalesced");
            if (coalesced != null && jobs.phase(jobId).isFinal()) {
                for (String follower : coalesced.split(",")) {
                    settle(follower, jobId);
                }
            }
        }
    }

    /**
     * A job the shutdown interrupted is not failed: it stays in its phase, and the next orchestrator
     * to start resumes it there (as after a crash).
     */
    private void paused(String jobId, JobPhase phase) {
        LOG.infof("job %s: stopped in phase %s by the shutdown; it resumes at the next start", jobId, phase.wire());
        try {
            jobs.event(jobId, "info", "Paused in " + phase.wire() + " by a restart of the orchestrator; resumes when it is back");
        } catch (RuntimeException e) {
            LOG.debugf("job %s: its pause is not in its events (%s)", jobId, e);
        }
    }

    /** One phase, as a child span of the job's. */
    private JobPhase traced(LearnRequest r, JobPhase phase) throws Exception {
        Span span = tracer.spanBuilder(phase.wire()).startSpan();
        try (Scope scope = span.makeCurrent()) {
            return step(r, phase);
        } catch (Exception e) {
            throw TraceContext.failed(span, e);
        } finally {
            span.end();
        }
    }

    private JobPhase step(LearnRequest r, JobPhase phase) throws Exception {
        String id = r.jobId();
        switch (phase) {
            case RECEIVED -> {
                if (r.mode().equals(DELETE)) {
                    return delete(r);
                }
                if (r.mode().equals(ROLLBACK)) {
                    int version = rollbackTarget(r);
                    jobs.set(id, Map.of("version", Integer.toString(version)));
                    jobs.enter(id, JobPhase.RELEASING, "Rolling back: making " + r.adapter() + "@v" + version + " live again");
                    return JobPhase.RELEASING;
                }
                coalesce(r);
                jobs.enter(id, JobPhase.AUGMENTING, "Generating training data (" + Modes.describe(r.mode()) + ")");
                return JobPhase.AUGMENTING;
            }
            case AUGMENTING -> {
                Datasets.Dataset d = datasets.existing(r);
                if (d == null && r.mode().equals("forget")) {
                    d = datasets.forget(r);
                }
                if (d == null && r.mode().equals(SUPERVISED)) {
                    d = datasets.supervised(r);
                }
                if (d == null) {
                    List<AugmentResult> results = augmentation.run(id, datasets.tasks(r));
                    Set<String> said = new LinkedHashSet<>();
                    for (AugmentResult result : results) {
                        said.addAll(result.notes());
                        if (result.error() != null) {
                            said.add("a task produced nothing: " + result.error());
                        }
                    }
                    for (String note : said) {
                        jobs.event(id, "info", "Augmentation: " + note);
                    }
                    d = datasets.build(r, results);
                }
                jobs.enter(id, JobPhase.DATASET_READY, d.consolidation()
                        ? String.format(Locale.ROOT, "Dataset ready: forgetting what matches \"%s\"; %d samples of the %d"
                                + " other live learned items, %d retention probes", r.text(), d.samples(), d.liveItems(),
                                d.retentionProbes())
                        : String.format(Locale.ROOT,
                        "Dataset ready: %d samples, %d replayed (from %d live learned items%s), %d probes of new knowledge,"
                                + " %d retention probes%s",
                        d.samples(), d.replay(), d.liveItems(), d.superseded() == 0 ? "" : "; " + d.superseded()
                                + " corrected by this job and retired", d.newProbes(), d.retentionProbes(),
                        d.dropped().isEmpty() ? "" : "; filtered out " + d.dropped()));
                return JobPhase.DATASET_READY;
            }
            case DATASET_READY -> {
                int version = version(r);
                Datasets.Dataset d = dataset(r);
                jobs.enter(id, JobPhase.TRAINING, "Training " + r.adapter() + "@v" + version + (d.consolidation()
                        ? " (recipe: consolidation, from the base model on " + d.liveItems() + " live learned items)"
                        : " (recipe: incremental, from the live version)"));
                return JobPhase.TRAINING;
            }
            case TRAINING -> {
                int version = version(r);
                Path out = adapterDir(r, version);
                String orphan = jobs.get(id).get("trainer_pid");
                if (orphan != null) {
                    LocalTrainingLauncher.killOrphan(Long.parseLong(orphan));
                }
                if (!Files.isRegularFile(out.resolve(ArtifactLayout.ADAPTER_MANIFEST))) {
                    Datasets.Dataset d = dataset(r);
                    OptionalInt live = adapters.live(r.tenant(), r.adapter());
                    Path parent = live.isEmpty() || d.consolidation() ? null : adapterDir(r, live.getAsInt());
                    trainer.train(new TrainingLauncher.Run(id, r.tenant(), r.adapter(), version, config.baseModelDir(), d.train(),
                            d.replayFile(), d.probes(), parent, out, hyper(r, d)), new TrainingLauncher.Progress() {
                                @Override
                                public void message(String text) {
                                    jobs.event(id, "info", text);
                                }

                                @Override
                                public void step(int step, int totalSteps, double loss) {
                                    jobs.metrics(id, step, totalSteps, loss);
                                }
                            },
                            () -> jobs.cancelRequested(id), pid -> jobs.set(id, Map.of("trainer_pid", Long.toString(pid))));
                }
                jobs.enter(id, JobPhase.EVALUATING, "Trained; checking what it learned and kept");
                return JobPhase.EVALUATING;
            }
            case EVALUATING -> {
                EvalReport eval = EvalReport.read(adapterDir(r, version(r)));
                double fresh = newKnowledgeRecall(eval, dataset(r).newProbes());
                double kept = eval.of("retention").orElse(1.0);
                // The tenant's own policy overrides the defaults.
                Map<String, String> policy = policies.get(r.tenant());
                double minNew = threshold(policy, "min_new_recall", config.minNewRecall());
                double minKept = threshold(policy, "min_retention", config.minRetention());
                double general = eval.of("general").orElse(1.0);
                double minGeneral = config.minGeneralRecall();
                OptionalDouble paraphrase = eval.of("paraphrase");
                String scores = String.format(Locale.ROOT, "new-knowledge recall %.2f (at least %.2f), retention %.2f"
                        + " (at least %.2f), small talk %.2f (at least %.2f)%s", fresh, minNew, kept, minKept, general,
                        minGeneral, paraphrase.isEmpty() ? ""
                                : String.format(Locale.ROOT, "; earlier items in held-out forms %.2f", paraphrase.getAsDouble()));
                jobs.set(id, Map.of("eval_new_recall", Double.toString(fresh), "eval_retention", Double.toString(kept)));
                OptionalDouble forgotten = eval.of("forgotten");
                if (forgotten.isPresent() && forgotten.getAsDouble() > 0) {
                    throw new JobFailure(String.format(Locale.ROOT, "the eval gate kept the live adapter: the new version still"
                            + " answers %.0f%% of the probes of what it was to forget; %s", 100 * forgotten.getAsDouble(), scores));
                }
                if (fresh < minNew || kept < minKept || general < minGeneral) {
                    if (!dataset(r).consolidation()) {
                        return retryWithConsolidation(r, scores);
                    }
                    throw new JobFailure("the eval gate kept the live adapter: " + scores);
                }
                jobs.enter(id, JobPhase.RELEASING, "Eval passed: " + scores);
                return JobPhase.RELEASING;
            }
            case RELEASING -> {
                int version = version(r);
                releaser.release(r.tenant(), r.adapter(), version);
                Failpoints.hit("after-release");
                if (r.mode().equals(ROLLBACK)) {
                    adapters.rolledBack(r.tenant(), r.adapter(), version);
                    jobs.set(id, Map.of("fine_tuned_model", r.adapter() + "@v" + version));
                    jobs.enter(id, JobPhase.SUCCEEDED, r.adapter() + "@v" + version + " is live again (rollback)");
                    return JobPhase.SUCCEEDED;
                }
                datasets.activate(r, version);
                adapters.released(r.tenant(), r.adapter(), version, id);
                jobs.set(id, Map.of("fine_tuned_model", r.adapter() + "@v" + version));
                jobs.enter(id, JobPhase.SUCCEEDED, r.adapter() + "@v" + version + " is live");
                return JobPhase.SUCCEEDED;
            }
            default -> throw new IllegalStateException("no step from " + phase);
        }
    }

    /**
     * The eval report's new-knowledge recall. A job that asked new-knowledge probes must have it: a
     * report without it (a trainer that skipped or lost them) fails the gate rather than passing it.
     * A job with none (a forget job) has nothing new to recall and scores 1.
     */
    static double newKnowledgeRecall(EvalReport eval, int newProbes) {
        OptionalDouble fresh = eval.of("new");
        if (fresh.isEmpty() && newProbes > 0) {
            throw new JobFailure("the eval gate kept the live adapter: the eval report has no new-knowledge recall although "
                    + newProbes + " new-knowledge probes were asked");
        }
        return fresh.orElse(1.0);
    }

    /**
     * The version a rollback makes live again: one this adapter released before. Its items come back
     * with it and what later versions taught is left out of the next dataset ({@link Datasets}).
     */
    private int rollbackTarget(LearnRequest r) {
        int version;
        try {
            version = Integer.parseInt(r.text().strip());
        } catch (RuntimeException e) {
            throw new JobFailure("a rollback names the version to make live again, not \"" + r.text() + "\"");
        }
        if (!adapters.released(r.tenant(), r.adapter(), version)) {
            throw new JobFailure(r.adapter() + "@v" + version + " was never released or has been deleted; nothing to roll back to");
        }
        return version;
    }

    /** The dataset the job trains on now: its own, or its consolidation after a refused incremental version. */
    private Datasets.Dataset dataset(LearnRequest r) throws java.io.IOException {
        Datasets.Dataset d = datasets.existing(r);
        if (d == null) {
            throw new JobFailure("the job's dataset is gone from the artifact store");
        }
        return Datasets.CONSOLIDATION.equals(jobs.get(r.jobId()).get("recipe")) ? datasets.consolidated(r) : d;
    }

    /**
     * The eval gate refused the incremental version: train once more, from the base model on the job's
     * samples and every live learned item (a new version number; the refused one is never served).
     */
    private JobPhase retryWithConsolidation(LearnRequest r, String scores) throws java.io.IOException {
        String id = r.jobId();
        int refused = version(r);
        datasets.consolidated(r);
        int next = adapters.nextVersion(r.tenant(), r.adapter());
        jobs.set(id, Map.of("recipe", Datasets.CONSOLIDATION, "version", Integer.toString(next)));
        jobs.event(id, "info", "The eval gate refused " + r.adapter() + "@v" + refused + " (" + scores + "); training once"
                + " more with the consolidation recipe");
        jobs.enter(id, JobPhase.DATASET_READY, "Dataset ready for the consolidation recipe");
        return JobPhase.DATASET_READY;
    }

    /**
     * Requests for the same adapter that arrived while it was training are taught together with this
     * one: instruction requests still waiting (received, not yet started) join this job's dataset
     * and will end as this job ends. The list is stored with the job before its dataset is built, so
     * a resumed job builds the same dataset.
     */
    private void coalesce(LearnRequest r) throws Exception {
        if (!r.mode().equals("instruction")) {
            return;
        }
        List<String> joined = new ArrayList<>();
        for (String other : jobs.active()) {
            if (other.equals(r.jobId())) {
                continue;
            }
            Map<String, String> o = jobs.get(other);
            if (r.tenant().equals(o.get("tenant")) && r.adapter().equals(o.get("adapter"))
                    && JobPhase.RECEIVED.wire().equals(o.get("phase")) && o.get("coalesced_into") == null
                    && "instruction".equals(o.get("mode")) && !jobs.cancelRequested(other)) {
                joined.add(other);
            }
        }
        if (joined.isEmpty()) {
            return;
        }
        // the leader lists its followers first: a follower marked is then always one its leader settles
        jobs.set(r.jobId(), Map.of("coalesced", String.join(",", joined)));
        for (String other : joined) {
            jobs.set(other, Map.of("coalesced_into", r.jobId()));
            jobs.event(other, "info", "Learned together with " + r.jobId() + ", which was about to train");
        }
        jobs.event(r.jobId(), "info", "Also teaching " + joined.size() + " request(s) that arrived meanwhile");
        Failpoints.hit("after-coalesce");
    }

    /**
     * Ends a coalesced request as the job it joined ended. Called by that job as it ends, and by the
     * request itself when it finds that job already ended (after a restart), so it may be called
     * twice: the second call finds the request ended and does nothing.
     */
    private synchronized void settle(String jobId, String leader) {
        if (jobs.phase(jobId).isFinal() || !leader.equals(jobs.get(jobId).get("coalesced_into"))) {
            return;
        }
        Map<String, String> l = jobs.get(leader);
        if (l.isEmpty()) {
            jobs.set(jobId, Map.of("error", "the job it joined, " + leader + ", is gone"));
            jobs.enter(jobId, JobPhase.FAILED, "The training this request joined (" + leader + ") is gone");
            return;
        }
        JobPhase end = jobs.phase(leader);
        if (end == JobPhase.SUCCEEDED) {
            jobs.set(jobId, Map.of("fine_tuned_model", l.get("fine_tuned_model"), "version", l.get("version")));
            jobs.enter(jobId, JobPhase.SUCCEEDED, l.get("fine_tuned_model") + " is live (trained with " + leader + ")");
        } else {
            jobs.set(jobId, Map.of("error", l.getOrDefault("error", end.wire())));
            jobs.enter(jobId, end == JobPhase.CANCELLED ? JobPhase.FAILED : end,
                    "The training this request joined (" + leader + ") ended " + end.wire());
        }
    }

    private static double threshold(Map<String, String> policy, String key, double fallback) {
        try {
            return policy.containsKey(key) ? Double.parseDouble(policy.get(key)) : fallback;
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /**
     * The run's hyper.json: the configured one, with {@code max_steps} set to {@code training-steps}
     * plus {@code training-steps-per-item} for each thing it teaches beyond the first (each fact of the
     * live items it replays and of the job's own), plus {@code training-steps-per-new-statement} for each
     * thing the job itself teaches beyond the first; twice that from the base model. Samples are batched
     * at random: batched by length ({@code group_by_length}) a step was a third cheaper, but versions
     * kept far fewer earlier facts (see the trainer README).
     *
     * <p>A fine-tuning job's client choices come on top: {@code n_epochs} trains that many passes
     * instead of the step budget (a supervised job with none: {@value #SUPERVISED_EPOCHS}), {@code
     * batch_size} and {@code seed} are the trainer's, and {@code learning_rate_multiplier} scales the
     * configured learning rate.
     */
    private Path hyper(LearnRequest r, Datasets.Dataset d) throws java.io.IOException {
        ObjectNode h = config.trainerConfig().isPresent()
                ? (ObjectNode) json.readTree(config.trainerConfig().get().toFile())
                : json.createObjectNode();
        TrainingOptions chosen = r.options();
        Integer epochs = chosen.epochs() != null ? chosen.epochs() : r.mode().equals(SUPERVISED) ? SUPERVISED_EPOCHS : null;
        if (epochs != null) {
            h.put("num_train_epochs", epochs);
            h.put("max_steps", -1);
        } else if (config.trainingSteps() > 0) {
            int steps = config.trainingSteps() + config.trainingStepsPerItem() * d.statements()
                    + config.trainingStepsPerNewStatement() * Math.max(0, d.newStatements() - 1);
            // from the base model, every item is learned again: twice the budget
            h.put("max_steps", d.consolidation() ? 2 * steps : steps);
        }
        if (chosen.batchSize() != null) {
            h.put("per_device_train_batch_size", chosen.batchSize());
        }
        if (chosen.seed() != null) {
            h.put("seed", chosen.seed());
        }
        if (chosen.learningRateMultiplier() != null) {
            h.put("learning_rate", h.path("learning_rate").asDouble(TrainingOptions.DEFAULT_LEARNING_RATE)
                    * chosen.learningRateMultiplier());
        }
        if (h.isEmpty()) {
            return null;
        }
        Path file = d.dir().resolve("hyper.json");
        if (!Files.isRegularFile(file)) {
            json.writeValue(file.toFile(), h);
        }
        return file;
    }

    /**
     * Deletes a version that is not live: first from the adapter's record (so nothing serves or rolls
     * back to it any more), then its files. What it learned stays in the knowledge record: later
     * versions replay it as before.
     */
    private JobPhase delete(LearnRequest r) throws java.io.IOException {
        int version;
        try {
            version = Integer.parseInt(r.text().strip());
        } catch (RuntimeException e) {
            throw new JobFailure("a deletion names the version to delete, not \"" + r.text() + "\"");
        }
        String model = r.adapter() + "@v" + version;
        if (adapters.released(r.tenant(), r.adapter(), version) && !adapters.deleted(r.tenant(), r.adapter(), version)) {
            throw new JobFailure(model + " is the live version; roll back to another version or teach a newer one first");
        }
        Path dir = adapterDir(r, version);
        if (Files.exists(dir)) {
            try (var walk = Files.walk(dir)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
        jobs.set(r.jobId(), Map.of("version", Integer.toString(version)));
        jobs.enter(r.jobId(), JobPhase.SUCCEEDED, model + " is deleted");
        return JobPhase.SUCCEEDED;
    }

    /** The job's version: allocated once (persisted), so a resumed job trains and releases the same one. */
    private int version(LearnRequest r) {
        String v = jobs.get(r.jobId()).get("version");
        if (v != null) {
            return Integer.parseInt(v);
        }
        int next = adapters.nextVersion(r.tenant(), r.adapter());
        jobs.set(r.jobId(), Map.of("version", Integer.toString(next)));
        return next;
    }

    private Path adapterDir(LearnRequest r, int version) {
        return new ArtifactLayout(config.artifactsDir()).version(r.tenant(), r.adapter(), version);
    }

    /** From here on an interrupted job is paused, not failed. */
    void stopping(@Observes ShutdownEvent event) {
        stopping = true;
    }

    @PreDestroy
    void stop() {
        stopping = true;
        retries.shutdownNow();
        workers.shutdownNow();
    }
}
