package dev.livetune.operator;

import dev.livetune.api.k8s.TrainingRun;
import dev.livetune.api.k8s.TrainingRunSpec;
import dev.livetune.api.trace.TraceContext;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyBuilder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Job (and its {@code hyper.json} ConfigMap) for one attempt of a {@link TrainingRun}: one pod,
 * never restarted in place ({@code backoffLimit} 0: the operator counts attempts and makes the next
 * Job), the trainer's invalid-input exit code failing the Job at once, pod disruptions (eviction,
 * preemption) not counted, the run's deadline as {@code activeDeadlineSeconds}, GPUs as limits.
 * A pure function of the run, the attempt, the settings and the trace context it continues.
 */
public final class TrainingJobs {

    /** The trainer's exit code for input it will never accept. */
    public static final int INVALID_INPUT = 64;
    public static final String CONTAINER = "trainer";
    static final String MANAGED_BY = "livetune-training-operator";

    private TrainingJobs() {
    }

    /** @return {@code <run>-a<attempt>}, shortened with a hash when the name would pass 63 characters */
    public static String jobName(TrainingRun run, int attempt) {
        String suffix = "-a" + attempt;
        String name = run.getMetadata().getName();
        if (name.length() + suffix.length() <= 63) {
            return name + suffix;
        }
        String hash = sha256(name).substring(0, 8);
        return name.substring(0, 63 - suffix.length() - 9) + "-" + hash + suffix;
    }

    public static Map<String, String> labels(TrainingRun run, int attempt) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("app.kubernetes.io/managed-by", MANAGED_BY);
        labels.put("app.kubernetes.io/component", "trainer");
        labels.put("livetune.dev/training-run", run.getMetadata().getName());
        labels.put("livetune.dev/tenant", run.getSpec().tenant);
        labels.put("livetune.dev/attempt", Integer.toString(attempt));
        return labels;
    }

    public static ConfigMap hyperparameters(TrainingRun run, int attempt) {
        StringBuilder json = new StringBuilder("{");
        run.getSpec().hyperparameters.forEach((k, v) -> {
            if (json.length() > 1) {
                json.append(", ");
            }
            json.append('"').append(k.replace("\"", "")).append("\": ").append(v);
        });
        json.append('}');
        ConfigMap cm = new ConfigMapBuilder().withNewMetadata().withName(jobName(run, attempt) + "-hyper")
                .withNamespace(run.getMetadata().getNamespace()).withLabels(labels(run, attempt)).endMetadata()
                .addToData("hyper.json", json.toString()).build();
        cm.getMetadata().setOwnerReferences(List.of(owner(run)));
        return cm;
    }

    /**
     * @param traceparent the trainer's parent span ({@code TRACEPARENT}), or null
     */
    public static Job job(TrainingRun run, int attempt, TrainingSettings settings, String traceparent) {
        TrainingRunSpec spec = run.getSpec();
        String name = jobName(run, attempt);
        List<String> args = new ArrayList<>(List.of("train", "--base", "/models/" + spec.baseModel, "--data",
                "/artifacts/" + spec.dataset.uri, "--out", "/artifacts/" + spec.output));
        if (spec.replay != null) {
            args.addAll(List.of("--replay", "/artifacts/" + spec.replay));
        }
        if (spec.probes != null) {
            args.addAll(List.of("--probes", "/artifacts/" + spec.probes));
        }
        if (spec.parentAdapter != null) {
            args.addAll(List.of("--parent-adapter", "/artifacts/" + spec.parentAdapter));
        }
        if (!spec.hyperparameters.isEmpty()) {
            args.addAll(List.of("--config", "/etc/livetune/hyper.json"));
        }
        Map<String, Quantity> limits = new LinkedHashMap<>();
        limits.put("cpu", new Quantity(spec.resources.cpu));
        limits.put("memory", new Quantity(spec.resources.memory));
        if (spec.resources.gpus > 0) {
            limits.put(settings.gpuResource(), new Quantity(Integer.toString(spec.resources.gpus)));
        }
        Map<String, Quantity> requests = Map.of("cpu", new Quantity(spec.resources.cpu), "memory",
                new Quantity(spec.resources.memory));
        Job job = new JobBuilder()
                .withNewMetadata().withName(name).withNamespace(run.getMetadata().getNamespace())
                    .withLabels(labels(run, attempt)).endMetadata()
                .withNewSpec()
                    .withBackoffLimit(0)
                    .withActiveDeadlineSeconds(spec.deadlineSeconds)
                    .withTtlSecondsAfterFinished(settings.ttlAfterFinished())
                    .withPodFailurePolicy(new PodFailurePolicyBuilder()
                            .addNewRule().withAction("FailJob").withNewOnExitCodes().withContainerName(CONTAINER)
                                .withOperator("In").withValues(INVALID_INPUT).endOnExitCodes().endRule()
                            .addNewRule().withAction("Ignore").addNewOnPodCondition().withType("DisruptionTarget")
                                .withStatus("True").endOnPodCondition().endRule()
                            .build())
                    .withNewTemplate()
                        .withNewMetadata().withLabels(labels(run, attempt)).endMetadata()
                        .withNewSpec()
                            .withRestartPolicy("Never")
                            .withServiceAccountName(settings.serviceAccount().orElse(null))
                            .withAutomountServiceAccountToken(false)
                            // the restricted Pod Security Standard
                            .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(10001L).withRunAsGroup(10001L)
                                .withFsGroup(10001L).withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                            .endSecurityContext()
                            .withPriorityClassName(settings.priorityClass().orElse(null))
                            .withNodeSelector(settings.nodeSelector().isEmpty() ? null : settings.nodeSelector())
                            .withTolerations(tolerations(settings.tolerations()))
                            .addNewContainer()
                                .withName(CONTAINER).withImage(settings.image()).withImagePullPolicy(settings.imagePullPolicy())
                                .withArgs(args)
                                .withEnv(env(settings, traceparent))
                                .withNewSecurityContext().withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true)
                                    .withRunAsNonRoot(true).withNewCapabilities().withDrop("ALL").endCapabilities()
                                    .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                                .endSecurityContext()
                                .withNewResources().withLimits(limits).withRequests(requests).endResources()
                                .addNewVolumeMount().withName("models").withMountPath("/models").withReadOnly(true).endVolumeMount()
                                .addNewVolumeMount().withName("artifacts").withMountPath("/artifacts").endVolumeMount()
                                .addNewVolumeMount().withName("hyper").withMountPath("/etc/livetune").withReadOnly(true).endVolumeMount()
                                .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
                            .endContainer()
                            .addNewVolume().withName("models").withNewPersistentVolumeClaim()
                                .withClaimName(settings.modelsClaim()).withReadOnly(true).endPersistentVolumeClaim().endVolume()
                            .addNewVolume().withName("artifacts").withNewPersistentVolumeClaim()
                                .withClaimName(settings.artifactsClaim()).endPersistentVolumeClaim().endVolume()
                            .addNewVolume().withName("hyper").withNewConfigMap().withName(name + "-hyper").withOptional(true)
                                .endConfigMap().endVolume()
                            .addNewVolume().withName("tmp").withNewEmptyDir().endEmptyDir().endVolume()
                        .endSpec()
                    .endTemplate()
                .endSpec()
                .build();
        job.getMetadata().setOwnerReferences(List.of(owner(run)));
        return job;
    }

    private static List<EnvVar> env(TrainingSettings settings, String traceparent) {
        List<EnvVar> env = new ArrayList<>(List.of(new EnvVar("JAVA_TOOL_OPTIONS", "-Djava.io.tmpdir=/tmp", null),
                new EnvVar("DJL_CACHE_DIR", "/tmp/djl", null), new EnvVar("ENGINE_CACHE_DIR", "/tmp/djl", null)));
        if (traceparent != null) {
            env.add(new EnvVar(TraceContext.ENV, traceparent, null));
        }
        settings.otlpEndpoint().ifPresent(endpoint -> {
            env.add(new EnvVar("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint, null));
            env.add(new EnvVar("OTEL_SERVICE_NAME", "livetune-trainer", null));
        });
        return env;
    }

    /** The run as its objects' controller: garbage-collected with it, and what the Job informer maps back to. */
    static OwnerReference owner(TrainingRun run) {
        return new OwnerReferenceBuilder().withApiVersion(run.getApiVersion()).withKind(run.getKind())
                .withName(run.getMetadata().getName()).withUid(run.getMetadata().getUid()).withController(true)
                .withBlockOwnerDeletion(true).build();
    }

    static List<Toleration> tolerations(List<String> specs) {
        List<Toleration> out = new ArrayList<>();
        for (String t : specs) {
            String[] keyEffect = t.split(":", 2);
            String effect = keyEffect.length == 2 ? keyEffect[1] : null;
            String[] kv = keyEffect[0].split("=", 2);
            TolerationBuilder b = new TolerationBuilder().withKey(kv[0]).withEffect(effect);
            out.add(kv.length == 2 ? b.withOperator("Equal").withValue(kv[1]).build() : b.withOperator("Exists").build());
        }
        return out;
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
