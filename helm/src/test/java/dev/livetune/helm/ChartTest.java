package dev.livetune.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chart, checked without a cluster: Helm (as a library) lints and renders it; the fabric8 model
 * reads every document; the workloads, NetworkPolicies and RBAC are held to the rules in the chart's
 * README; and {@code k8s/livetune.yaml} is what the defaults render.
 */
class ChartTest {

    static final Path CHART = Path.of("livetune").toAbsolutePath();
    static final Path PLAIN = Path.of("../k8s/livetune.yaml").toAbsolutePath();
    static final String NAMESPACE = "livetune";
    private static final String GENERATED = "<fill in>";

    private final KubernetesSerialization serialization = new KubernetesSerialization();

    @Test
    void lintsCleanWithStrict() {
        LintResult lint = new Helm(CHART).lint().strict().call();
        assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
        assertThat(lint.getMessages()).as("no warnings either").noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "external-services", "gpu-pool", "no-hpa", "no-network-policies", "tracing"})
    void everyDocumentedValueSetRendersToWorkloadsThatMeetTheRules(String valueSet) throws IOException {
        List<HasMetadata> docs = render(valueSet);
        assertThat(docs).isNotEmpty();
        assertThat(docs).as("every document is a typed fabric8 model object")
                .noneMatch(d -> d instanceof GenericKubernetesResource);
        for (HasMetadata d : docs) {
            Map<String, String> labels = d.getMetadata().getLabels();
            assertThat(labels).as(id(d)).containsKeys("app.kubernetes.io/name", "app.kubernetes.io/instance",
                    "app.kubernetes.io/version", "app.kubernetes.io/managed-by", "app.kubernetes.io/part-of");
        }
        List<HasMetadata> workloads = docs.stream().filter(d -> d instanceof Deployment || d instanceof StatefulSet).toList();
        assertThat(workloads).extracting(d -> d.getMetadata().getLabels().get("app.kubernetes.io/component"))
                .contains("gateway", "inference", "orchestrator", "augmentation", "operator");
        for (HasMetadata w : workloads) {
            PodSpec pod = template(w).getSpec();
            assertThat(pod.getSecurityContext().getRunAsNonRoot()).as(id(w) + " runs as non-root").isTrue();
            assertThat(pod.getSecurityContext().getSeccompProfile().getType()).as(id(w)).isEqualTo("RuntimeDefault");
            for (Container c : pod.getContainers()) {
                String what = id(w) + " container " + c.getName();
                assertThat(c.getResources().getRequests()).as(what + " requests").containsKeys("cpu", "memory");
                assertThat(c.getResources().getLimits()).as(what + " limits").containsKeys("cpu", "memory");
                assertThat(c.getReadinessProbe()).as(what + " readiness probe").isNotNull();
                assertThat(c.getLivenessProbe()).as(what + " liveness probe").isNotNull();
                assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).as(what).isFalse();
                assertThat(c.getSecurityContext().getCapabilities().getDrop()).as(what).containsExactly("ALL");
                assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).as(what + " read-only root").isTrue();
            }
        }
        Deployment inference = named(docs, Deployment.class, "inference");
        assertThat(inference.getSpec().getTemplate().getSpec().getContainers().get(0).getReadinessProbe().getGrpc())
                .as("inference is probed over gRPC health").isNotNull();
        assertThat(inference.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds())
                .as("the grace period covers the drain").isGreaterThan(30L);
    }

    @Test
    void networkPoliciesCoverEveryComponentAndKeepTrainingPodsOffTheNetwork() throws IOException {
        List<HasMetadata> docs = render("");
        List<NetworkPolicy> policies = docs.stream().filter(NetworkPolicy.class::isInstance).map(NetworkPolicy.class::cast).toList();
        List<Map<String, String>> pods = new ArrayList<>();
        docs.stream().filter(d -> d instanceof Deployment || d instanceof StatefulSet)
                .forEach(w -> pods.add(template(w).getMetadata().getLabels()));
        // what the training-operator puts on a training pod (TrainingJobs.labels)
        pods.add(Map.of("app.kubernetes.io/managed-by", "livetune-training-operator", "app.kubernetes.io/component", "trainer",
                "livetune.dev/training-run", "run", "livetune.dev/tenant", "acme", "livetune.dev/attempt", "1"));
        for (Map<String, String> pod : pods) {
            List<NetworkPolicy> own = policies.stream()
                    .filter(p -> !p.getMetadata().getName().endsWith("-default-deny") && !p.getMetadata().getName().endsWith("-dns"))
                    .filter(p -> pod.entrySet().containsAll(p.getSpec().getPodSelector().getMatchLabels().entrySet()))
                    .toList();
            assertThat(own).as("a NetworkPolicy of its own for " + pod.get("app.kubernetes.io/component")).hasSize(1);
            assertThat(own.get(0).getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
        }
        NetworkPolicy trainer = policies.stream().filter(p -> p.getMetadata().getName().endsWith("-trainer")).findFirst()
                .orElseThrow();
        assertThat(trainer.getSpec().getEgress()).as("training pods reach nothing: not the gateway, not Redis").isEmpty();
        assertThat(trainer.getSpec().getIngress()).isEmpty();
        NetworkPolicy redis = policies.stream().filter(p -> p.getMetadata().getName().endsWith("-redis")).findFirst().orElseThrow();
        assertThat(redis.getSpec().getIngress().get(0).getFrom()).extracting(f -> f.getPodSelector().getMatchLabels()
                .get("app.kubernetes.io/component")).containsExactlyInAnyOrder("gateway", "orchestrator");
        NetworkPolicy deny = policies.stream().filter(p -> p.getMetadata().getName().endsWith("-default-deny")).findFirst()
                .orElseThrow();
        assertThat(deny.getSpec().getIngress()).isEmpty();
        assertThat(deny.getSpec().getEgress()).isEmpty();

        assertThat(render("no-network-policies")).noneMatch(NetworkPolicy.class::isInstance);
    }

    /** Issue 19 #3: the chart's Redis had no maxmemory; full, it crash-looped and took keys, quotas and jobs with it. */
    @Test
    void redisIsBoundedAndNeverEvicts() throws IOException {
        StatefulSet redis = render("").stream().filter(StatefulSet.class::isInstance).map(StatefulSet.class::cast)
                .filter(s -> s.getMetadata().getName().endsWith("-redis")).findFirst().orElseThrow();
        List<String> args = template(redis).getSpec().getContainers().get(0).getArgs();
        assertThat(args.get(args.indexOf("--maxmemory") + 1)).isEqualTo("768mb");
        assertThat(args.get(args.indexOf("--maxmemory-policy") + 1)).isEqualTo("noeviction");
        assertThatThrownBy(() -> template().set("redis.maxmemory", "lots").call()).hasMessageContaining("maxmemory");
    }

    /**
     * Issue 19 #13: the internet-facing gateway mounted the whole artifact store read-write, so a
     * flaw in it could replace an adapter. Now it mounts only the uploads volume; every other pod
     * that mounts a volume it does not write mounts it read-only.
     */
    @Test
    void theGatewayWritesOnlyUploadsAndNobodyElseWritesWhatItDoesNotOwn() throws IOException {
        Map<String, Map<String, Boolean>> writes = new java.util.TreeMap<>();
        for (HasMetadata d : render("")) {
            if (d instanceof Deployment || d instanceof StatefulSet) {
                PodSpec pod = template(d).getSpec();
                Map<String, Boolean> claims = new java.util.TreeMap<>();
                for (Container c : pod.getContainers()) {
                    for (var m : c.getVolumeMounts()) {
                        pod.getVolumes().stream().filter(v -> v.getName().equals(m.getName()) && v.getPersistentVolumeClaim() != null)
                                .forEach(v -> claims.merge(v.getPersistentVolumeClaim().getClaimName(),
                                        !Boolean.TRUE.equals(m.getReadOnly()) && !Boolean.TRUE.equals(v.getPersistentVolumeClaim().getReadOnly()),
                                        Boolean::logicalOr));
                    }
                }
                writes.put(template(d).getMetadata().getLabels().get("app.kubernetes.io/component"), claims);
            }
        }
        assertThat(writes.get("gateway")).as("the gateway mounts the uploads volume only, read-write")
                .isEqualTo(Map.of("livetune-files", true));
        assertThat(writes.get("orchestrator")).as("the orchestrator writes artifacts and reads uploads")
                .isEqualTo(Map.of("livetune-artifacts", true, "livetune-files", false, "livetune-models", false));
        assertThat(writes.get("inference")).doesNotContainValue(true);
        assertThat(writes.get("operator")).doesNotContainValue(true);
        assertThat(writes.get("augmentation")).isEmpty();
        assertThat(render("").stream().filter(io.fabric8.kubernetes.api.model.PersistentVolumeClaim.class::isInstance)
                .map(c -> c.getMetadata().getName())).contains("livetune-files");
    }

    /** Issue 19 #12: the Generate secret reaches the gateway, the orchestrator and inference, never the augmentation workers. */
    @Test
    void theGenerateSecretIsHeldByGatewayOrchestratorAndInferenceOnly() throws IOException {
        Map<String, Boolean> holds = new java.util.TreeMap<>();
        for (HasMetadata d : render("")) {
            if (d instanceof Deployment || d instanceof StatefulSet) {
                String component = template(d).getMetadata().getLabels().get("app.kubernetes.io/component");
                holds.put(component, template(d).getSpec().getContainers().stream().flatMap(c -> c.getEnv().stream())
                        .anyMatch(e -> e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null
                                && e.getValueFrom().getSecretKeyRef().getKey().equals("generate-secret")));
            }
        }
        assertThat(holds).containsEntry("gateway", true).containsEntry("orchestrator", true).containsEntry("inference", true)
                .containsEntry("augmentation", false).containsEntry("operator", false);
    }

    /** Issue 20: a PodMonitor per component scrapes /q/metrics on a port its pods serve it on; none by default. */
    @Test
    void podMonitorsScrapeEachComponentOnThePortThatServesMetrics() throws IOException {
        assertThat(render("")).noneMatch(d -> "PodMonitor".equals(d.getKind()));
        List<HasMetadata> docs = render("pod-monitor");
        List<GenericKubernetesResource> monitors = docs.stream().filter(d -> "PodMonitor".equals(d.getKind()))
                .map(GenericKubernetesResource.class::cast).toList();
        assertThat(monitors).extracting(m -> m.getMetadata().getLabels().get("app.kubernetes.io/component"))
                .containsExactlyInAnyOrder("gateway", "orchestrator", "augmentation", "inference", "operator");
        for (GenericKubernetesResource m : monitors) {
            String component = m.getMetadata().getLabels().get("app.kubernetes.io/component");
            assertThat(m.getMetadata().getLabels()).as(m.getMetadata().getName()).containsEntry("release", "prometheus");
            Map<String, Object> spec = m.get("spec");
            @SuppressWarnings("unchecked")
            Map<String, String> match = (Map<String, String>) ((Map<String, Object>) spec.get("selector")).get("matchLabels");
            @SuppressWarnings("unchecked")
            Map<String, Object> endpoint = ((List<Map<String, Object>>) spec.get("podMetricsEndpoints")).get(0);
            assertThat(endpoint).containsEntry("path", "/q/metrics").containsEntry("interval", "15s");
            HasMetadata workload = docs.stream().filter(d -> d instanceof Deployment || d instanceof StatefulSet)
                    .filter(d -> component.equals(d.getMetadata().getLabels().get("app.kubernetes.io/component"))).findFirst()
                    .orElseThrow(() -> new AssertionError("no workload for " + component));
            PodTemplateSpec pod = template(workload);
            assertThat(pod.getMetadata().getLabels()).as(component + "'s pods match the selector").containsAllEntriesOf(match);
            Container c = pod.getSpec().getContainers().get(0);
            Integer port = c.getPorts().stream().filter(p -> p.getName().equals(endpoint.get("port"))).findFirst()
                    .orElseThrow(() -> new AssertionError(component + " has no port " + endpoint.get("port"))).getContainerPort();
            assertThat(pod.getMetadata().getAnnotations()).as(component + ": the port its scrape annotation names")
                    .containsEntry("prometheus.io/port", Integer.toString(port));
        }
    }

    /** Issue 19 #18: /q/metrics was served on the gateway's public port. */
    @Test
    void theGatewaysMetricsAndHealthAreOnItsManagementPortWhichItsServiceDoesNotExpose() throws IOException {
        List<HasMetadata> docs = render("");
        Deployment gateway = docs.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast)
                .filter(d -> d.getMetadata().getName().endsWith("-gateway")).findFirst().orElseThrow();
        PodTemplateSpec pod = template(gateway);
        Container c = pod.getSpec().getContainers().get(0);
        assertThat(c.getPorts()).filteredOn(p -> p.getName().equals("management")).singleElement()
                .satisfies(p -> assertThat(p.getContainerPort()).isEqualTo(9100));
        assertThat(c.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("management");
        assertThat(c.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("management");
        assertThat(pod.getMetadata().getAnnotations()).containsEntry("prometheus.io/port", "9100");
        io.fabric8.kubernetes.api.model.Service service = docs.stream().filter(io.fabric8.kubernetes.api.model.Service.class::isInstance)
                .map(io.fabric8.kubernetes.api.model.Service.class::cast)
                .filter(s -> s.getMetadata().getName().endsWith("-gateway")).findFirst().orElseThrow();
        assertThat(service.getSpec().getPorts()).extracting(p -> p.getTargetPort().getStrVal()).containsExactlyInAnyOrder("http", "grpc");
    }

    @Test
    void rolesHaveNoWildcardsAndTheOperatorCannotListOrWatchSecrets() throws IOException {
        List<Role> roles = render("").stream().filter(Role.class::isInstance).map(Role.class::cast).toList();
        assertThat(roles).extracting(r -> r.getMetadata().getLabels().get("app.kubernetes.io/component"))
                .containsExactlyInAnyOrder("operator", "orchestrator");
        for (Role role : roles) {
            for (PolicyRule rule : role.getRules()) {
                assertThat(rule.getVerbs()).as(id(role)).doesNotContain("*");
                assertThat(rule.getResources()).as(id(role)).doesNotContain("*");
                assertThat(rule.getApiGroups()).as(id(role)).doesNotContain("*");
                if (rule.getResources().contains("secrets")) {
                    assertThat(rule.getVerbs()).as(id(role) + " on secrets").doesNotContain("list", "watch");
                }
            }
        }
        Role operator = roles.stream().filter(r -> r.getMetadata().getName().endsWith("-operator")).findFirst().orElseThrow();
        assertThat(operator.getRules()).flatExtracting(PolicyRule::getResources).doesNotContain("secrets");
        // Issue 19 #15: the operator could update any ConfigMap; now only the live-adapters one.
        for (PolicyRule rule : operator.getRules()) {
            if (rule.getResources().contains("configmaps") && (rule.getVerbs().contains("update") || rule.getVerbs().contains("patch"))) {
                assertThat(rule.getResourceNames()).as("the ConfigMaps the operator may change").containsExactly("livetune-live-adapters");
            }
        }
    }

    /**
     * Issue 19 #15: the operator can create Jobs, and a Job could mount any Secret; a
     * ValidatingAdmissionPolicy bound to its account lets through training pods only.
     */
    @Test
    void anAdmissionPolicyLetsTheOperatorCreateTrainingPodsOnly() throws IOException {
        List<HasMetadata> docs = render("");
        HasMetadata policy = docs.stream().filter(d -> d.getKind().equals("ValidatingAdmissionPolicy")).findFirst().orElseThrow();
        String yaml = new KubernetesSerialization().asYaml(policy);
        assertThat(yaml).contains("system:serviceaccount:" + NAMESPACE + ":livetune-operator", "livetune-trainer",
                "secretKeyRef", "persistentVolumeClaim", "hostNetwork", "livetune/trainer:");
        HasMetadata binding = docs.stream().filter(d -> d.getKind().equals("ValidatingAdmissionPolicyBinding")).findFirst()
                .orElseThrow();
        assertThat(new KubernetesSerialization().asYaml(binding)).contains("policyName: \"livetune-training-jobs\"", "Deny");
        assertThat(template().set("operator.admissionPolicy", false).call()).doesNotContain("kind: ValidatingAdmissionPolicy");
    }

    @Test
    void podsGivenGpusRunTheCudaImagesAndOthersTheCpuOnes() throws IOException {
        List<HasMetadata> cpu = render("");
        Container inference = template(named(cpu, Deployment.class, "inference")).getSpec().getContainers().get(0);
        assertThat(inference.getImage()).matches("livetune/inference:[^-]+");
        assertThat(inference.getResources().getLimits()).doesNotContainKey("nvidia.com/gpu");
        assertThat(named(cpu, ConfigMap.class, "inference").getData().get("application.properties"))
                .contains("livetune.inference.device=cpu", "livetune.inference.precision=auto");
        // training pods get one GPU by default, so the operator and its admission policy name the CUDA trainer
        assertThat(named(cpu, ConfigMap.class, "operator").getData().get("application.properties"))
                .containsPattern("livetune.operator.trainer-image=livetune/trainer:[^\\s]+-cuda\\n");
        assertThat(template().call()).contains("c.image == 'livetune/trainer:").doesNotContainPattern(
                "c.image == 'livetune/trainer:[^']*[^a]'");

        List<HasMetadata> gpu = render("gpu-pool");
        Container onGpu = template(named(gpu, Deployment.class, "inference")).getSpec().getContainers().get(0);
        assertThat(onGpu.getImage()).endsWith("-cuda");
        assertThat(onGpu.getResources().getLimits().get("nvidia.com/gpu").getAmount()).isEqualTo("1");
        assertThat(onGpu.getResources().getLimits()).containsKeys("cpu", "memory");
        assertThat(named(gpu, ConfigMap.class, "inference").getData().get("application.properties"))
                .contains("livetune.inference.device=cuda");
        assertThat(template(named(gpu, Deployment.class, "inference")).getSpec().getTolerations()).singleElement()
                .satisfies(t -> assertThat(t.getKey()).isEqualTo("nvidia.com/gpu"));

        String cpuTraining = template().set("trainer.gpus", 0).call();
        assertThat(cpuTraining).containsPattern("livetune.operator.trainer-image=livetune/trainer:[^\\s-]+\\n")
                .doesNotContain("trainer:0.1.0-SNAPSHOT-cuda").doesNotContainPattern("trainer:[^\\s']+-cuda");
        assertThatThrownBy(() -> template().set("inference.precision", "bfloat16").call())
                .hasMessageContaining("precision");
    }

    @Test
    void tracingTurnsOnInEveryTracedServiceAndOpensOnlyTheCollectorsPort() throws IOException {
        String endpoint = "quarkus.otel.exporter.otlp.endpoint=http://otel-collector.observability:4318";
        List<HasMetadata> off = render("");
        for (String component : List.of("gateway", "inference", "orchestrator", "augmentation", "operator")) {
            assertThat(named(off, ConfigMap.class, component).getData().get("application.properties")).as(component)
                    .doesNotContain("quarkus.otel");
        }
        List<HasMetadata> docs = render("tracing");
        for (String component : List.of("gateway", "inference", "orchestrator", "augmentation", "operator")) {
            assertThat(named(docs, ConfigMap.class, component).getData().get("application.properties")).as(component)
                    .contains("quarkus.otel.sdk.disabled=false", endpoint);
        }
        assertThat(named(docs, ConfigMap.class, "operator").getData().get("application.properties"))
                .as("training pods are told the collector").contains(
                        "livetune.operator.trainer-otlp-endpoint=http://otel-collector.observability:4318");
        NetworkPolicy trainer = docs.stream().filter(NetworkPolicy.class::isInstance).map(NetworkPolicy.class::cast)
                .filter(p -> p.getMetadata().getName().endsWith("-trainer")).findFirst().orElseThrow();
        assertThat(trainer.getSpec().getEgress()).as("training pods reach the collector's port and nothing else")
                .singleElement().satisfies(rule -> assertThat(rule.getPorts()).singleElement()
                        .satisfies(port -> assertThat(port.getPort().getIntVal()).isEqualTo(4318)));
        for (String component : List.of("trainer", "inference")) {
            NetworkPolicy policy = docs.stream().filter(NetworkPolicy.class::isInstance).map(NetworkPolicy.class::cast)
                    .filter(p -> p.getMetadata().getName().endsWith("-" + component)).findFirst().orElseThrow();
            assertThat(policy.getSpec().getEgress()).as(component + " reaches the collector's port and nothing else")
                    .singleElement().satisfies(rule -> assertThat(rule.getPorts()).singleElement()
                            .satisfies(port -> assertThat(port.getPort().getIntVal()).isEqualTo(4318)));
        }
        assertThatThrownBy(() -> template().set("tracing.enabled", true).call())
                .hasMessageContaining("tracing.otlpEndpoint is required");
        assertThatThrownBy(() -> template().set("tracing.enabled", true).set("tracing.otlpEndpoint", "collector:4318").call())
                .hasMessageContaining("otlpEndpoint");
    }

    @Test
    void theSchemaRefusesAMisspelledValueSayingWhich() {
        assertThatThrownBy(() -> template().set("gateway.replica", 3).call())
                .hasMessageContaining("replica").hasMessageContaining("not allowed");
        assertThatThrownBy(() -> template().set("augmentation.teacher", "gpt").call())
                .hasMessageContaining("teacher").hasMessageContaining("rules");
    }

    @Test
    void externalServicesNeedTheirAddresses() {
        assertThatThrownBy(() -> template().set("redis.enabled", false).call())
                .hasMessageContaining("external.redisUri");
    }

    @Test
    void theCrdsAreTheApiModulesAndThePlainManifestsAreWhatTheDefaultsRender() throws IOException {
        for (String crd : List.of("trainingruns.livetune.dev-v1.yml", "adapterreleases.livetune.dev-v1.yml")) {
            assertThat(CHART.resolve("crds").resolve(crd)).as("helm/livetune/crds/" + crd + " is k8s/crds/" + crd)
                    .hasSameTextualContentAs(Path.of("../k8s/crds").resolve(crd));
        }
        String fresh = plainManifests();
        if (Boolean.getBoolean("livetune.k8s.update")) {
            Files.writeString(PLAIN, fresh, StandardCharsets.UTF_8);
        }
        assertThat(Files.exists(PLAIN)).as(PLAIN + " is missing; write it with "
                + "./mvnw -pl helm test -Dtest=ChartTest -Dlivetune.k8s.update=true").isTrue();
        assertThat(Files.readString(PLAIN, StandardCharsets.UTF_8)).as("k8s/livetune.yaml is out of date; refresh it with "
                + "./mvnw -pl helm test -Dtest=ChartTest -Dlivetune.k8s.update=true").isEqualTo(fresh);
    }

    /** The defaults as Helm renders them for release "livetune" in namespace "livetune", generated secrets left to fill in. */
    private String plainManifests() throws IOException {
        StringBuilder out = new StringBuilder("""
                # livetune without Helm: the chart's defaults rendered as release "livetune" in namespace "livetune",
                # kept in sync by ChartTest. The CRDs are in k8s/crds/ (apply them first). Fill in the Secret's values
                # (Helm generates them at install) before applying: kubectl -n livetune apply -f k8s/livetune.yaml
                """);
        // Helm makes this Secret in a pre-install hook, which a template render leaves out: it is
        // rendered from a copy without the hook, its generated values left to fill in.
        out.append("""
                ---
                # The tokens and passwords (the chart's templates/secret.yaml makes them at install).
                apiVersion: v1
                kind: Secret
                metadata:
                  name: livetune-secrets
                type: Opaque
                stringData:
                """);
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(secretData()).entrySet()) {
            String value = e.getValue();
            if (e.getKey().endsWith("-uri") || e.getKey().contains("-uri-")) {
                value = java.util.regex.Pattern.compile("://([a-z-]*):[A-Za-z0-9]+@").matcher(value)
                        .replaceAll(m -> "://" + m.group(1) + ":<" + (m.group(1).isEmpty() ? "redis-password" : "password of "
                                + m.group(1)) + ">@");
            } else if (e.getKey().endsWith(".json")) {
                value = value.replaceAll("\"name\":\"([^\"]+)\",\"password\":\"[A-Za-z0-9]+\"", "\"name\":\"$1\",\"password\":\"<password of $1>\"");
            } else {
                value = GENERATED;
            }
            out.append("  ").append(e.getKey()).append(": '").append(value.replace("'", "''")).append("'\n");
        }
        for (String doc : template().call().split("(?m)^---\\s*$")) {
            if (!doc.isBlank()) {
                out.append("---").append(doc.stripTrailing()).append("\n");
            }
        }
        return out.toString();
    }

    /**
     * The chart's generated Secret, decoded. Helm makes it in a pre-install hook, which a template
     * render leaves out, so this renders a copy of the chart without the hook.
     */
    static Map<String, String> secretData() throws IOException {
        Path copy = Files.createTempDirectory("livetune-chart");
        try (var files = Files.walk(CHART)) {
            for (Path f : files.toList()) {
                Path to = copy.resolve(CHART.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to);
                }
            }
        }
        Path secretTemplate = copy.resolve("templates/secret.yaml");
        Files.writeString(secretTemplate, Files.readString(secretTemplate).replaceAll("(?m)^\\s*helm\\.sh/hook.*\\n", ""));
        String yaml = new Helm(copy).template().withName("livetune").withNamespace(NAMESPACE).call();
        for (String doc : yaml.split("(?m)^---\\s*$")) {
            if (doc.contains("kind: Secret")) {
                io.fabric8.kubernetes.api.model.Secret secret = new KubernetesSerialization().unmarshal(doc,
                        io.fabric8.kubernetes.api.model.Secret.class);
                Map<String, String> data = new java.util.LinkedHashMap<>();
                secret.getData().forEach((k, v) -> data.put(k, new String(java.util.Base64.getDecoder().decode(v),
                        StandardCharsets.UTF_8)));
                return data;
            }
        }
        throw new AssertionError("no Secret rendered from " + secretTemplate);
    }

    private TemplateCommand template() {
        return new Helm(CHART).template().withName("livetune").withNamespace(NAMESPACE);
    }

    private List<HasMetadata> render(String valueSet) throws IOException {
        TemplateCommand t = template();
        if (!valueSet.isEmpty()) {
            t = t.withValuesFile(CHART.resolve("ci").resolve(valueSet + "-values.yaml"));
        }
        String yaml = t.call();
        List<HasMetadata> docs = new ArrayList<>();
        for (String doc : yaml.split("(?m)^---\\s*$")) {
            if (doc.lines().anyMatch(l -> !l.isBlank() && !l.startsWith("#"))) {
                docs.add(serialization.unmarshal(doc));
            }
        }
        return docs;
    }

    private static PodTemplateSpec template(HasMetadata workload) {
        return workload instanceof Deployment d ? d.getSpec().getTemplate() : ((StatefulSet) workload).getSpec().getTemplate();
    }

    private static <T extends HasMetadata> T named(List<HasMetadata> docs, Class<T> kind, String component) {
        return docs.stream().filter(kind::isInstance).map(kind::cast)
                .filter(d -> component.equals(d.getMetadata().getLabels().get("app.kubernetes.io/component"))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind.getSimpleName() + " for " + component));
    }

    private static String id(HasMetadata d) {
        return d.getKind() + "/" + d.getMetadata().getName();
    }
}
