package dev.livetune.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.adapter.Sha256;
import dev.livetune.api.k8s.Condition;
import dev.livetune.api.k8s.TrainingRun;
import dev.livetune.api.k8s.TrainingRunSpec;
import dev.livetune.api.k8s.TrainingRunStatus;
import dev.livetune.api.trace.TraceContext;
import dev.livetune.broker.Wakeups;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Typed;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

/**
 * Trains in the cluster: creates the job's {@code TrainingRun} (named after the job, so a resumed job
 * finds it again) and follows its status until it succeeds or fails, relaying what it says into the
 * job's events. Cancelling deletes the run, and with it its Jobs.
 */
@Singleton
@Typed(KubernetesTrainingLauncher.class)
public class KubernetesTrainingLauncher implements TrainingLauncher {

    /** How long a wait for the TrainingRun lasts without a change before it is read again. */
    private static final Duration LOOK_AGAIN = Duration.ofSeconds(2);

    private final OrchestratorConfig config;
    private final Instance<KubernetesClient> clients;
    private final ClusterEvents events;
    private final ObjectMapper json = new ObjectMapper();

    KubernetesTrainingLauncher(OrchestratorConfig config, Instance<KubernetesClient> clients, ClusterEvents events) {
        this.config = config;
        this.clients = clients;
        this.events = events;
    }

    @Override
    public void train(Run run, Progress progress, BooleanSupplier cancel, LongConsumer started) {
        KubernetesClient client = clients.get();
        String ns = config.kubernetesNamespace().orElse(client.getNamespace());
        String name = run.jobId().toLowerCase(java.util.Locale.ROOT);
        Resource<TrainingRun> resource = client.resources(TrainingRun.class).inNamespace(ns).withName(name);
        Wakeups.Watch changes = events.follow(TrainingRun.class, name);
        try {
            if (resource.get() == null) {
                client.resource(desired(run, name, ns)).create();
                progress.message("TrainingRun " + ns + "/" + name + " created for the training-operator");
            }
            // Every attempt may use the whole deadline; the operator ends each one at it.
            long deadline = System.nanoTime() + config.trainingTimeout().toNanos() * (config.trainerRetries() + 1)
                    + 120_000_000_000L;
            String said = null;
            int apiErrors = 0;
            events.watch(client, ns);
            while (true) {
                long mark = changes.mark();
                if (cancel.getAsBoolean()) {
                    resource.delete();
                    throw new JobFailure("cancelled during training (TrainingRun " + name + " deleted)");
                }
                TrainingRun current;
                try {
                    current = resource.get();
                    apiErrors = 0;
                } catch (KubernetesClientException e) {
                    // The API server away for a moment is not the training failing.
                    if (++apiErrors > 60) {
                        throw e;
                    }
                    changes.await(mark, Duration.ofSeconds(1));
                    continue;
                }
                if (current == null) {
                    throw new JobFailure("the TrainingRun " + ns + "/" + name + " was deleted");
                }
                TrainingRunStatus s = current.getStatus();
                if (s != null && s.message != null && !Objects.equals(s.message, said)) {
                    said = s.message;
                    progress.message("Training in the cluster: " + s.message);
                }
                if (s != null && TrainingRunStatus.SUCCEEDED.equals(s.phase)) {
                    return;
                }
                if (s != null && TrainingRunStatus.FAILED.equals(s.phase)) {
                    String reason = s.conditions.stream().map(Condition::reason).findFirst().orElse("Failed");
                    throw new JobFailure("training failed (" + reason + "): " + s.message);
                }
                if (System.nanoTime() > deadline) {
                    resource.delete();
                    throw new JobFailure("the TrainingRun " + name + " did not finish in time (" + (config.trainerRetries() + 1)
                            + " attempts of " + config.trainingTimeout() + "); deleted, with its Jobs");
                }
                changes.await(mark, LOOK_AGAIN);
            }
        } catch (KubernetesClientException e) {
            throw new JobFailure("the Kubernetes API failed for the TrainingRun " + name + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JobFailure("interrupted");
        } finally {
            changes.close();
        }
    }

    private TrainingRun desired(Run run, String name, String ns) {
        TrainingRunSpec spec = new TrainingRunSpec();
        spec.tenant = run.tenant();
        spec.adapter = run.adapter();
        spec.version = run.version();
        spec.baseModel = config.kubernetesBaseModel().orElse(run.base().getFileName().toString());
        try {
            spec.dataset = new TrainingRunSpec.Artifact(store(run.data()), Sha256.of(run.data()));
        } catch (IOException e) {
            throw new JobFailure("the dataset cannot be read: " + e.getMessage(), e);
        }
        spec.replay = run.replay() == null ? null : store(run.replay());
        spec.probes = run.probes() == null ? null : store(run.probes());
        spec.parentAdapter = run.parentAdapter() == null ? null : store(run.parentAdapter());
        spec.output = store(run.out());
        spec.hyperparameters = hyperparameters(run.hyper());
        spec.resources.gpus = config.trainingGpus();
        spec.resources.cpu = config.trainingCpu();
        spec.resources.memory = config.trainingMemory();
        spec.deadlineSeconds = config.trainingTimeout().toSeconds();
        spec.maxAttempts = config.trainerRetries() + 1;
        TrainingRun tr = new TrainingRun();
        ObjectMetaBuilder meta = new ObjectMetaBuilder().withName(name).withNamespace(ns).addToLabels("livetune.dev/tenant", run.tenant())
                .addToLabels("livetune.dev/adapter", run.adapter());
        // The operator continues the job's trace from here (the training phase is current).
        String traceparent = TraceContext.current();
        if (traceparent != null) {
            meta.addToAnnotations(TraceContext.ANNOTATION, traceparent);
        }
        tr.setMetadata(meta.build());
        tr.setSpec(spec);
        return tr;
    }

    /** @return the path relative to the artifact store, as the training pod sees it under /artifacts */
    private String store(Path p) {
        Path root = config.artifactsDir().toAbsolutePath().normalize();
        Path abs = p.toAbsolutePath().normalize();
        if (!abs.startsWith(root)) {
            throw new JobFailure(p + " is not in the artifact store " + root);
        }
        return root.relativize(abs).toString();
    }

    private Map<String, String> hyperparameters(Path hyper) {
        Map<String, String> out = new LinkedHashMap<>();
        if (hyper == null) {
            return out;
        }
        try {
            JsonNode h = json.readTree(hyper.toFile());
            h.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().toString()));
        } catch (IOException e) {
            throw new JobFailure("the run's hyper.json cannot be read: " + e.getMessage(), e);
        }
        return out;
    }
}
