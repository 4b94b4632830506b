package dev.livetune.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livetune.api.k8s.TrainingRun;
import dev.livetune.api.k8s.TrainingRunSpec;
import dev.livetune.api.k8s.TrainingRunStatus;
import dev.livetune.api.trace.TraceContext;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyRule;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.javaoperatorsdk.operator.Operator;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * TrainingRuns on the fabric8 mock server (CRUD mode) with the real operator: the Job it makes, that
 * reconciling again makes no second one, and how each way a Job can end shows in the run's status.
 * The Jobs' outcomes are written into their status as the Job controller would.
 */
@EnableKubernetesMockClient(crud = true)
class TrainingRunReconcilerTest {

    static KubernetesClient client;
    private static final String NS = "livetune";
    private Path store;
    private TrainingRunReconciler reconciler;
    private final InMemorySpanExporter spans = InMemorySpanExporter.create();
    private Operator operator;

    @BeforeEach
    void start() throws Exception {
        MockCluster.applyCrds(client);
        store = Files.createTempDirectory("operator-store");
        reconciler = new TrainingRunReconciler(new TrainingSettings("livetune/trainer:test", "IfNotPresent", "models", "artifacts",
                Optional.of(store), "nvidia.com/gpu", Map.of("livetune.dev/pool", "gpu"), List.of("nvidia.com/gpu:NoSchedule"),
                Optional.of("training"), Optional.of("livetune-trainer"), 3600, Optional.of("http://collector:4318")),
                Clock.systemUTC(), SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build()
                        .get("test"));
        operator = MockCluster.start(client, reconciler);
    }

    @AfterEach
    void stop() {
        operator.stop();
    }

    private static TrainingRun run(String name, int maxAttempts) {
        return run(name, maxAttempts, null);
    }

    private static TrainingRun run(String name, int maxAttempts, String traceparent) {
        TrainingRun run = new TrainingRun();
        ObjectMetaBuilder meta = new ObjectMetaBuilder().withName(name).withNamespace(NS);
        if (traceparent != null) {
            meta.addToAnnotations(TraceContext.ANNOTATION, traceparent);
        }
        run.setMetadata(meta.build());
        TrainingRunSpec spec = new TrainingRunSpec();
        spec.tenant = "acme";
        spec.adapter = "default";
        spec.version = 3;
        spec.baseModel = "qwen2.5-0.5b";
        spec.dataset = new TrainingRunSpec.Artifact("tenants/acme/datasets/" + name + "/train.jsonl", "ab12");
        spec.probes = "tenants/acme/datasets/" + name + "/probes.jsonl";
        spec.parentAdapter = "tenants/acme/adapters/default/v2";
        spec.output = "tenants/acme/adapters/default/v3-" + name;
        spec.hyperparameters = Map.of("learning_rate", "0.005", "max_steps", "80");
        spec.resources.gpus = 1;
        spec.deadlineSeconds = 600;
        spec.maxAttempts = maxAttempts;
        run.setSpec(spec);
        return client.resource(run).create();
    }

    private static Job awaitJob(String name) {
        return await().atMost(Duration.ofSeconds(30)).until(() -> client.batch().v1().jobs().inNamespace(NS).withName(name).get(),
                j -> j != null);
    }

    private static TrainingRunStatus awaitStatus(String run, String phase, int attempts) {
        return await().atMost(Duration.ofSeconds(30)).until(() -> {
            TrainingRun r = client.resources(TrainingRun.class).inNamespace(NS).withName(run).get();
            return r == null ? null : r.getStatus();
        }, s -> s != null && phase.equals(s.phase) && s.attempts == attempts);
    }

    private static void finish(Job job, String type, String reason) {
        job.setStatus(new JobStatusBuilder().addToConditions(new JobConditionBuilder().withType(type).withStatus("True")
                .withReason(reason).withMessage(reason == null ? "done" : "the Job says " + reason).build()).build());
        client.batch().v1().jobs().inNamespace(NS).resource(job).updateStatus();
    }

    private List<Job> jobsOf(String run) {
        return client.batch().v1().jobs().inNamespace(NS).withLabel("livetune.dev/training-run", run).list().getItems();
    }

    @Test
    void aRunMakesExactlyTheExpectedJobAndReconcilingAgainChangesNothing() {
        run("shape", 3);
        Job job = awaitJob("shape-a1");
        var spec = job.getSpec();
        assertThat(spec.getBackoffLimit()).isZero();
        assertThat(spec.getActiveDeadlineSeconds()).isEqualTo(600L);
        List<PodFailurePolicyRule> rules = spec.getPodFailurePolicy().getRules();
        assertThat(rules).hasSize(2);
        assertThat(rules.get(0).getAction()).isEqualTo("FailJob");
        assertThat(rules.get(0).getOnExitCodes().getContainerName()).isEqualTo("trainer");
        assertThat(rules.get(0).getOnExitCodes().getValues()).containsExactly(64);
        assertThat(rules.get(1).getAction()).isEqualTo("Ignore");
        assertThat(rules.get(1).getOnPodConditions().get(0).getType()).isEqualTo("DisruptionTarget");
        assertThat(job.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getKind()).isEqualTo("TrainingRun");
            assertThat(o.getName()).isEqualTo("shape");
            assertThat(o.getController()).isTrue();
        });
        var pod = spec.getTemplate().getSpec();
        assertThat(pod.getRestartPolicy()).isEqualTo("Never");
        assertThat(pod.getNodeSelector()).containsEntry("livetune.dev/pool", "gpu");
        assertThat(pod.getTolerations()).singleElement().satisfies(t -> {
            assertThat(t.getKey()).isEqualTo("nvidia.com/gpu");
            assertThat(t.getOperator()).isEqualTo("Exists");
            assertThat(t.getEffect()).isEqualTo("NoSchedule");
        });
        assertThat(pod.getPriorityClassName()).isEqualTo("training");
        assertThat(pod.getServiceAccountName()).isEqualTo("livetune-trainer");
        var container = pod.getContainers().get(0);
        assertThat(container.getImage()).isEqualTo("livetune/trainer:test");
        assertThat(container.getResources().getLimits().get("nvidia.com/gpu").getAmount()).isEqualTo("1");
        assertThat(container.getArgs()).containsSequence("--base", "/models/qwen2.5-0.5b")
                .containsSequence("--data", "/artifacts/tenants/acme/datasets/shape/train.jsonl")
                .containsSequence("--out", "/artifacts/tenants/acme/adapters/default/v3-shape")
                .containsSequence("--parent-adapter", "/artifacts/tenants/acme/adapters/default/v2")
                .containsSequence("--config", "/etc/livetune/hyper.json");
        assertThat(pod.getVolumes()).extracting(v -> v.getName()).containsExactly("models", "artifacts", "hyper", "tmp");
        // the restricted Pod Security Standard, and no API token in a training pod
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(container.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));
        assertThat(pod.getVolumes().get(0).getPersistentVolumeClaim().getClaimName()).isEqualTo("models");
        assertThat(pod.getVolumes().get(1).getPersistentVolumeClaim().getClaimName()).isEqualTo("artifacts");
        ConfigMap hyper = client.configMaps().inNamespace(NS).withName("shape-a1-hyper").get();
        assertThat(hyper.getData().get("hyper.json")).contains("\"learning_rate\": 0.005").contains("\"max_steps\": 80");

        TrainingRunStatus pending = awaitStatus("shape", TrainingRunStatus.PENDING, 1);
        assertThat(pending.jobName).isEqualTo("shape-a1");
        for (int i = 0; i < 3; i++) {
            TrainingRun current = client.resources(TrainingRun.class).inNamespace(NS).withName("shape").get();
            TrainingRunStatus again = reconciler.step(current, client);
            assertThat(again.phase).isEqualTo(pending.phase);
            assertThat(again.conditions).isEqualTo(pending.conditions);
        }
        assertThat(jobsOf("shape")).hasSize(1);
    }

    @Test
    void theTrainingPodContinuesTheRunsTrace() {
        String orchestrator = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        run("traced", 1, orchestrator);
        Job job = awaitJob("traced-a1");
        Map<String, String> env = new java.util.HashMap<>();
        job.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().forEach(e -> env.put(e.getName(), e.getValue()));

        SpanData started = await().atMost(Duration.ofSeconds(10)).until(() -> spans.getFinishedSpanItems().stream()
                .filter(s -> s.getName().equals("start training Job")).findFirst(), Optional::isPresent).get();
        assertThat(started.getTraceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(started.getParentSpanId()).as("the orchestrator's training phase").isEqualTo("00f067aa0ba902b7");
        assertThat(started.getAttributes().get(AttributeKey.stringKey("livetune.job_name"))).isEqualTo("traced-a1");
        assertThat(env.get("TRACEPARENT")).as("the trainer is a child of the operator's span")
                .isEqualTo("00-4bf92f3577b34da6a3ce929d0e0e4736-" + started.getSpanId() + "-01");
        assertThat(env).containsEntry("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
                .containsEntry("OTEL_SERVICE_NAME", "livetune-trainer");

        // A run without a trace context starts a trace of its own, and its pod is told that one.
        run("untraced", 1);
        Job other = awaitJob("untraced-a1");
        String parent = other.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .filter(e -> e.getName().equals("TRACEPARENT")).findFirst().orElseThrow().getValue();
        assertThat(TraceContext.traceId(parent)).isNotNull().isNotEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    }

    @Test
    void eachWayAJobEndsShowsInTheRunsStatus() throws Exception {
        // Success: the adapter's sha256, metrics and eval come from the trainer's output.
        run("ok", 3);
        Job ok = awaitJob("ok-a1");
        Path out = Files.createDirectories(store.resolve("tenants/acme/adapters/default/v3-ok"));
        Files.writeString(out.resolve("livetune.json"), "{\"files\": {\"adapter_model.safetensors\": \"feed01\"},"
                + " \"metrics\": {\"steps\": 80, \"final_loss\": 0.031}}");
        Files.writeString(out.resolve("eval.json"), "{\"recall\": {\"new\": 1.0, \"retention\": 0.9}}");
        finish(ok, "Complete", null);
        TrainingRunStatus done = awaitStatus("ok", TrainingRunStatus.SUCCEEDED, 1);
        assertThat(done.adapterUri).isEqualTo("tenants/acme/adapters/default/v3-ok");
        assertThat(done.adapterSha256).isEqualTo("feed01");
        assertThat(done.metrics).containsEntry("steps", "80").containsEntry("final_loss", "0.031");
        assertThat(done.eval).containsEntry("new", "1.0").containsEntry("retention", "0.9");
        assertThat(done.conditions).singleElement().satisfies(c -> {
            assertThat(c.status()).isEqualTo("True");
            assertThat(c.reason()).isEqualTo("Completed");
        });

        // Invalid input: failed at once, no second attempt.
        run("bad", 3);
        finish(awaitJob("bad-a1"), "Failed", "PodFailurePolicy");
        TrainingRunStatus bad = awaitStatus("bad", TrainingRunStatus.FAILED, 1);
        assertThat(bad.conditions.get(0).reason()).isEqualTo("InvalidInput");
        assertThat(bad.message).contains("exit code 64");

        // Deadline.
        run("slow", 3);
        finish(awaitJob("slow-a1"), "Failed", "DeadlineExceeded");
        TrainingRunStatus slow = awaitStatus("slow", TrainingRunStatus.FAILED, 1);
        assertThat(slow.conditions.get(0).reason()).isEqualTo("DeadlineExceeded");
        assertThat(slow.message).contains("600 s");

        // Transient: retried in a new Job, attempts counted, until the last attempt fails too.
        run("flaky", 2);
        finish(awaitJob("flaky-a1"), "Failed", "BackoffLimitExceeded");
        TrainingRunStatus retrying = awaitStatus("flaky", TrainingRunStatus.PENDING, 2);
        assertThat(retrying.conditions.get(0).reason()).isEqualTo("Retrying");
        assertThat(retrying.jobName).isEqualTo("flaky-a2");
        finish(awaitJob("flaky-a2"), "Failed", "BackoffLimitExceeded");
        TrainingRunStatus exhausted = awaitStatus("flaky", TrainingRunStatus.FAILED, 2);
        assertThat(exhausted.conditions.get(0).reason()).isEqualTo("TransientFailuresExhausted");
        assertThat(jobsOf("flaky")).extracting(j -> j.getMetadata().getName()).containsExactlyInAnyOrder("flaky-a1", "flaky-a2");
        assertThat(jobsOf("bad")).hasSize(1);
    }
}
