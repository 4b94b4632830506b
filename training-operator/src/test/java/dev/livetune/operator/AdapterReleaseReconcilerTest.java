package dev.livetune.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livetune.api.k8s.AdapterRelease;
import dev.livetune.api.k8s.AdapterReleaseSpec;
import dev.livetune.api.k8s.AdapterReleaseStatus;
import dev.livetune.api.trace.TraceContext;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.javaoperatorsdk.operator.Operator;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An AdapterRelease over three replicas (real gRPC servers, found through EndpointSlices on the
 * fabric8 mock server): live only when all three have the version; with one refusing it no replica
 * switches and the status says which and why; once it recovers the release goes live; rollback is a
 * spec change.
 */
@EnableKubernetesMockClient(crud = true)
class AdapterReleaseReconcilerTest {

    static KubernetesClient client;
    private static final String NS = "livetune";
    private final List<ReplicaServer> replicas = new ArrayList<>();
    private AdapterReleaseReconciler reconciler;
    private final InMemorySpanExporter spans = InMemorySpanExporter.create();
    private static final String TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private Operator operator;

    /** A replica and its EndpointSlice, as a new inference pod would appear. */
    private ReplicaServer addReplica() throws Exception {
        ReplicaServer r = new ReplicaServer();
        client.resource(new EndpointSliceBuilder().withNewMetadata().withName("inference-" + replicas.size()).withNamespace(NS)
                .addToLabels(Replicas.SERVICE_NAME_LABEL, "livetune-inference").endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("grpc").withPort(r.port()).withProtocol("TCP").endPort()
                .addNewEndpoint().withAddresses("127.0.0.1").withNewConditions().withReady(true).endConditions().endEndpoint()
                .build()).create();
        replicas.add(r);
        return r;
    }

    @BeforeEach
    void start() throws Exception {
        MockCluster.applyCrds(client);
        for (int i = 0; i < 3; i++) {
            addReplica();
        }
        reconciler = new AdapterReleaseReconciler(new ReleaseSettings("livetune-inference", "grpc", 9000, Optional.of("t0ken"),
                Duration.ofSeconds(10), Duration.ofSeconds(1), "livetune-live-adapters"), Clock.systemUTC(),
                SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build().get("test"));
        operator = MockCluster.start(client, reconciler);
    }

    @AfterEach
    void stop() {
        operator.stop();
        reconciler.close();
        replicas.forEach(ReplicaServer::close);
        client.discovery().v1().endpointSlices().inNamespace(NS).delete();
        client.resources(AdapterRelease.class).inNamespace(NS).delete();
        client.configMaps().inNamespace(NS).delete();
    }

    private static AdapterReleaseStatus awaitStatus(Predicate<AdapterReleaseStatus> until) {
        return await().atMost(Duration.ofSeconds(30)).until(() -> {
            AdapterRelease r = client.resources(AdapterRelease.class).inNamespace(NS).withName("acme-default").get();
            return r == null ? null : r.getStatus();
        }, s -> s != null && until.test(s));
    }

    private static void release(int version) {
        AdapterRelease existing = client.resources(AdapterRelease.class).inNamespace(NS).withName("acme-default").get();
        if (existing != null) {
            existing.getSpec().version = version;
            existing.getSpec().uri = "tenants/acme/adapters/default/v" + version;
            client.resource(existing).update();
            return;
        }
        AdapterRelease r = new AdapterRelease();
        // As the orchestrator's releasing phase annotates it.
        r.setMetadata(new ObjectMetaBuilder().withName("acme-default").withNamespace(NS)
                .addToAnnotations(TraceContext.ANNOTATION, TRACEPARENT).build());
        AdapterReleaseSpec spec = new AdapterReleaseSpec();
        spec.tenant = "acme";
        spec.adapter = "default";
        spec.version = version;
        spec.uri = "tenants/acme/adapters/default/v" + version;
        r.setSpec(spec);
        client.resource(r).create();
    }

    private List<String> aliases() {
        return replicas.stream().map(r -> r.aliases.getOrDefault("acme/default", "")).toList();
    }

    @Test
    void liveOnlyWhenEveryReplicaHasItAndNeverHalfSwitched() {
        release(1);
        AdapterReleaseStatus live = awaitStatus(s -> AdapterReleaseStatus.LIVE.equals(s.phase) && Integer.valueOf(1).equals(s.liveVersion));
        assertThat(live.readyReplicas).isEqualTo(3);
        assertThat(live.targetReplicas).isEqualTo(3);
        assertThat(aliases()).containsOnly("acme/default@v1");
        assertThat(replicas).allSatisfy(r -> assertThat(r.authorization).isEqualTo("Bearer t0ken"));
        assertThat(client.configMaps().inNamespace(NS).withName("livetune-live-adapters").get().getData())
                .containsEntry("LIVETUNE_INFERENCE_ADAPTERS", "acme/default@v1");

        // One replica refuses v2: no replica switches, and the status names it.
        replicas.get(1).refuse = "sha256 of adapter_model.safetensors does not match livetune.json";
        release(2);
        AdapterReleaseStatus degraded = awaitStatus(s -> AdapterReleaseStatus.DEGRADED.equals(s.phase));
        assertThat(degraded.readyReplicas).isEqualTo(2);
        assertThat(degraded.targetReplicas).isEqualTo(3);
        assertThat(degraded.liveVersion).isEqualTo(1);
        assertThat(degraded.conditions).singleElement().satisfies(c -> {
            assertThat(c.type()).isEqualTo("Ready");
            assertThat(c.status()).isEqualTo("False");
            assertThat(c.reason()).isEqualTo("LoadFailed");
            assertThat(c.message()).contains("127.0.0.1:" + replicas.get(1).port()).contains("FAILED_PRECONDITION")
                    .contains("sha256").contains("v1 stays live");
        });
        assertThat(aliases()).containsOnly("acme/default@v1");

        // The replica recovers; the release is tried again and goes live everywhere.
        replicas.get(1).refuse = null;
        awaitStatus(s -> AdapterReleaseStatus.LIVE.equals(s.phase) && Integer.valueOf(2).equals(s.liveVersion));
        assertThat(aliases()).containsOnly("acme/default@v2");

        // Rollback: a spec change to the older version.
        release(1);
        awaitStatus(s -> AdapterReleaseStatus.LIVE.equals(s.phase) && Integer.valueOf(1).equals(s.liveVersion));
        assertThat(aliases()).containsOnly("acme/default@v1");
        assertThat(client.configMaps().inNamespace(NS).withName("livetune-live-adapters").get().getData())
                .containsEntry("LIVETUNE_INFERENCE_ADAPTERS", "acme/default@v1");
    }

    @Test
    void aReplicaThatAppearsLaterGetsTheLiveVersion() throws Exception {
        release(4);
        awaitStatus(s -> AdapterReleaseStatus.LIVE.equals(s.phase) && s.targetReplicas == 3);
        // The rollout is a span in the job's trace, under its releasing phase.
        assertThat(spans.getFinishedSpanItems()).filteredOn(s -> s.getName().equals("roll out adapter")).isNotEmpty()
                .allSatisfy(s -> {
                    assertThat(s.getTraceId()).isEqualTo("0af7651916cd43dd8448eb211c80319c");
                    assertThat(s.getParentSpanId()).isEqualTo("b7ad6b7169203331");
                    assertThat(s.getAttributes().get(AttributeKey.longKey("livetune.adapter.version"))).isEqualTo(4L);
                })
                .anySatisfy(s -> assertThat(s.getAttributes().get(AttributeKey.stringKey("livetune.release.phase")))
                        .isEqualTo(AdapterReleaseStatus.LIVE));
        ReplicaServer late = addReplica();
        AdapterReleaseStatus four = awaitStatus(s -> AdapterReleaseStatus.LIVE.equals(s.phase) && s.targetReplicas == 4);
        assertThat(four.readyReplicas).isEqualTo(4);
        assertThat(late.aliases).containsEntry("acme/default", "acme/default@v4");
        assertThat(aliases()).containsOnly("acme/default@v4");
    }

    @Test
    void everyReplicaIsAskedForTheWeightsTheReleaseNamesAndABadUriLoadsNothing() {
        AdapterRelease r = new AdapterRelease();
        r.setMetadata(new ObjectMetaBuilder().withName("acme-default").withNamespace(NS).build());
        AdapterReleaseSpec spec = new AdapterReleaseSpec();
        spec.tenant = "acme";
        spec.adapter = "default";
        spec.version = 3;
        spec.uri = "tenants/acme/adapters/default/v3";
        spec.sha256 = "ab".repeat(32);
        r.setSpec(spec);
        client.resource(r).create();
        awaitStatus(s -> AdapterReleaseStatus.LIVE.equals(s.phase) && Integer.valueOf(3).equals(s.liveVersion));
        assertThat(replicas).allSatisfy(replica -> assertThat(replica.shas).isNotEmpty().containsOnly("ab".repeat(32)));

        // a uri that is not where acme/default@v4 lives: nothing is loaded, and the status says why
        AdapterRelease existing = client.resources(AdapterRelease.class).inNamespace(NS).withName("acme-default").get();
        existing.getSpec().version = 4;
        existing.getSpec().uri = "tenants/other/adapters/default/v4";
        client.resource(existing).update();
        AdapterReleaseStatus refused = awaitStatus(s -> AdapterReleaseStatus.DEGRADED.equals(s.phase));
        assertThat(refused.conditions).singleElement().satisfies(c -> {
            assertThat(c.reason()).isEqualTo("InvalidSpec");
            assertThat(c.message()).contains("tenants/other/adapters/default/v4").contains("tenants/acme/adapters/default/v4");
        });
        assertThat(refused.liveVersion).isEqualTo(3);
        assertThat(replicas).allSatisfy(replica -> assertThat(replica.loaded).doesNotContain("acme/default@v4"));
        assertThat(aliases()).containsOnly("acme/default@v3");
    }
}
