package dev.livetune.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.artifact.AdapterManifest;
import dev.livetune.api.artifact.ArtifactLayout;
import dev.livetune.api.artifact.EvalReport;
import dev.livetune.api.k8s.TrainingRun;
import dev.livetune.api.k8s.TrainingRunStatus;
import dev.livetune.api.trace.TraceContext;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runs a {@link TrainingRun} as one Job per attempt ({@link TrainingJobs}) and keeps its status in
 * step with what the Jobs say. Reconciling never waits: it looks at the current attempt's Job,
 * creates it when missing, and maps its conditions to the run's phase and its {@code Succeeded}
 * condition. Reconciling the same state again changes nothing.
 *
 * <ul>
 *   <li>Job complete → {@code Succeeded}, with the adapter's location, its sha256, the trainer's
 *       metrics and eval read from its manifest and eval report ({@code AdapterManifest}, {@code EvalReport});</li>
 *   <li>failed by the pod failure policy (the trainer's invalid-input exit code) → {@code Failed},
 *       reason {@code InvalidInput}, at once;</li>
 *   <li>past its deadline → {@code Failed}, reason {@code DeadlineExceeded};</li>
 *   <li>any other failure is transient → the next attempt's Job, until {@code maxAttempts}, then
 *       {@code Failed}, reason {@code TransientFailuresExhausted}.</li>
 * </ul>
 */
@ControllerConfiguration(name = "trainingrun")
public class TrainingRunReconciler implements Reconciler<TrainingRun> {

    static final String SUCCEEDED = "Succeeded";

    private final TrainingSettings settings;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    private final Tracer tracer;

    public TrainingRunReconciler(TrainingSettings settings, Clock clock, Tracer tracer) {
        this.settings = settings;
        this.clock = clock;
        this.tracer = tracer;
    }

    @Override
    public List<EventSource<?, TrainingRun>> prepareEventSources(EventSourceContext<TrainingRun> context) {
        return List.of(new InformerEventSource<>(InformerEventSourceConfiguration.from(Job.class, TrainingRun.class)
                .withNamespacesInheritedFromController()
                .withLabelSelector("app.kubernetes.io/managed-by=" + TrainingJobs.MANAGED_BY)
                .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(TrainingRun.class)).build(), context));
    }

    @Override
    public UpdateControl<TrainingRun> reconcile(TrainingRun run, Context<TrainingRun> context) {
        TrainingRunStatus next = step(run, context.getClient());
        if (same(next, run.getStatus())) {
            return UpdateControl.noUpdate();
        }
        run.setStatus(next);
        return UpdateControl.patchStatus(run);
    }

    /** @return the run's status after looking at (and if need be creating) its current Job */
    TrainingRunStatus step(TrainingRun run, KubernetesClient client) {
        TrainingRunStatus s = copy(run.getStatus());
        Long generation = run.getMetadata().getGeneration();
        if (TrainingRunStatus.SUCCEEDED.equals(s.phase) || TrainingRunStatus.FAILED.equals(s.phase)) {
            return s;
        }
        int attempt = Math.max(1, s.attempts);
        String ns = run.getMetadata().getNamespace();
        Job job = client.batch().v1().jobs().inNamespace(ns).withName(TrainingJobs.jobName(run, attempt)).get();
        if (job == null) {
            return start(run, attempt, s, client, "JobCreated", "attempt " + attempt + " created");
        }
        s.observedGeneration = generation;
        JobCondition complete = condition(job, "Complete");
        JobCondition failed = condition(job, "Failed");
        if (complete != null) {
            return succeeded(run, s);
        }
        if (failed != null) {
            String why = failed.getReason() == null ? "Failed" : failed.getReason();
            String message = failed.getMessage() == null ? why : failed.getMessage();
            switch (why) {
                case "PodFailurePolicy" -> {
                    return end(s, TrainingRunStatus.FAILED, "InvalidInput", "the trainer refused its input (exit code "
                            + TrainingJobs.INVALID_INPUT + "): " + message, generation);
                }
                case "DeadlineExceeded" -> {
                    return end(s, TrainingRunStatus.FAILED, "DeadlineExceeded", "attempt " + attempt + " ran past "
                            + run.getSpec().deadlineSeconds + " s: " + message, generation);
                }
                default -> {
                    if (attempt < run.getSpec().maxAttempts) {
                        return start(run, attempt + 1, s, client, "Retrying", "attempt " + attempt + " failed (" + why
                                + ": " + message + "); attempt " + (attempt + 1) + " of " + run.getSpec().maxAttempts + " created");
                    }
                    return end(s, TrainingRunStatus.FAILED, "TransientFailuresExhausted", "all " + attempt
                            + " attempts failed; the last: " + why + ": " + message, generation);
                }
            }
        }
        boolean running = job.getStatus() != null && job.getStatus().getActive() != null && job.getStatus().getActive() > 0;
        if (running && !TrainingRunStatus.RUNNING.equals(s.phase)) {
            s.phase = TrainingRunStatus.RUNNING;
            s.message = "attempt " + attempt + " running";
            s.conditions = Conditions.set(s.conditions, SUCCEEDED, "Unknown", "Running", s.message, generation, clock);
        }
        return s;
    }

    private TrainingRunStatus start(TrainingRun run, int attempt, TrainingRunStatus s, KubernetesClient client, String reason,
            String message) {
        if (!run.getSpec().hyperparameters.isEmpty()) {
            createIfAbsent(client, TrainingJobs.hyperparameters(run, attempt));
        }
        // A span in the trace of the job's training phase (the run's annotation); the trainer is its child.
        Span span = tracer.spanBuilder("start training Job")
                .setParent(TraceContext.parent(traceparent(run)))
                .setAttribute("livetune.training_run", run.getMetadata().getName()).setAttribute("livetune.attempt", attempt)
                .startSpan();
        Job job;
        try {
            job = TrainingJobs.job(run, attempt, settings, TraceContext.of(io.opentelemetry.context.Context.root().with(span)));
            span.setAttribute("livetune.job_name", job.getMetadata().getName());
            createIfAbsent(client, job);
        } catch (RuntimeException e) {
            throw TraceContext.failed(span, e);
        } finally {
            span.end();
        }
        s.attempts = attempt;
        s.jobName = job.getMetadata().getName();
        s.phase = TrainingRunStatus.PENDING;
        s.message = message;
        s.observedGeneration = run.getMetadata().getGeneration();
        s.conditions = Conditions.set(s.conditions, SUCCEEDED, "Unknown", reason, message, s.observedGeneration, clock);
        return s;
    }

    /** @return the trace context an object's {@link TraceContext#ANNOTATION} carries, or null */
    static String traceparent(io.fabric8.kubernetes.api.model.HasMetadata object) {
        Map<String, String> annotations = object.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(TraceContext.ANNOTATION);
    }

    /**
     * Creates an object unless it exists: a Job made by an earlier reconcile whose status patch was
     * lost is adopted as it is (a Job's spec cannot be updated anyway).
     */
    private static void createIfAbsent(KubernetesClient client, io.fabric8.kubernetes.api.model.HasMetadata object) {
        try {
            client.resource(object).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
        }
    }

    private TrainingRunStatus succeeded(TrainingRun run, TrainingRunStatus s) {
        Long generation = run.getMetadata().getGeneration();
        s.adapterUri = run.getSpec().output;
        if (settings.artifactsRoot().isEmpty()) {
            return end(s, TrainingRunStatus.SUCCEEDED, "Completed", "trained (the operator does not mount the artifact "
                    + "store, so metrics were not read)", generation);
        }
        Path out = settings.artifactsRoot().get().resolve(run.getSpec().output);
        try {
            AdapterManifest manifest = AdapterManifest.read(out);
            s.adapterSha256 = manifest.weightsSha256();
            s.metrics = flatten(manifest.metrics());
            if (Files.isRegularFile(out.resolve(ArtifactLayout.EVAL_REPORT))) {
                Map<String, String> eval = new LinkedHashMap<>();
                EvalReport.read(out).recall().forEach((kind, recall) -> eval.put(kind, Double.toString(recall)));
                s.eval = eval;
            }
        } catch (IOException e) {
            return end(s, TrainingRunStatus.FAILED, "OutputMissing", "the Job completed but " + out + "/"
                    + ArtifactLayout.ADAPTER_MANIFEST + " cannot be read: " + e.getMessage(), generation);
        }
        return end(s, TrainingRunStatus.SUCCEEDED, "Completed", "adapter written to " + s.adapterUri, generation);
    }

    private TrainingRunStatus end(TrainingRunStatus s, String phase, String reason, String message, Long generation) {
        s.phase = phase;
        s.message = message;
        s.observedGeneration = generation;
        s.conditions = Conditions.set(s.conditions, SUCCEEDED, TrainingRunStatus.SUCCEEDED.equals(phase) ? "True" : "False",
                reason, message, generation, clock);
        return s;
    }

    private static Map<String, String> flatten(JsonNode node) {
        Map<String, String> out = new LinkedHashMap<>();
        if (node == null) {
            return out;
        }
        node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().isValueNode() ? e.getValue().asText()
                : e.getValue().toString()));
        return out;
    }

    private static JobCondition condition(Job job, String type) {
        if (job.getStatus() == null || job.getStatus().getConditions() == null) {
            return null;
        }
        return job.getStatus().getConditions().stream().filter(c -> type.equals(c.getType()) && "True".equals(c.getStatus()))
                .findFirst().orElse(null);
    }

    private TrainingRunStatus copy(TrainingRunStatus s) {
        return s == null ? new TrainingRunStatus() : json.convertValue(s, TrainingRunStatus.class);
    }

    private boolean same(TrainingRunStatus a, TrainingRunStatus b) {
        return b != null && Objects.equals(json.valueToTree(a), json.valueToTree(b));
    }
}
