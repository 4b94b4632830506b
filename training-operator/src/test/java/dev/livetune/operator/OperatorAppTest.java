package dev.livetune.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livetune.api.k8s.TrainingRun;
import dev.livetune.api.k8s.TrainingRunSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The operator as it is deployed (the Quarkus app, its configuration, the Kubernetes client it is
 * given) against the mock API server: it takes the leader Lease, then reconciles.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true, setup = OperatorAppTest.Crds.class)
class OperatorAppTest {

    @KubernetesTestServer
    KubernetesServer server;

    @TestHTTPResource("/q/health/ready")
    URI ready;

    public static class Crds implements Consumer<KubernetesServer> {
        @Override
        public void accept(KubernetesServer s) {
            // The API server's answer to the operator's permission check before it competes for the
            // Lease (the CRUD mock cannot evaluate RBAC): what the operator Role in helm/livetune (and k8s/livetune.yaml) grants.
            s.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
                    .andReturn(201, new SelfSubjectRulesReviewBuilder().withNewMetadata().endMetadata().withNewStatus()
                            .addNewResourceRule().withApiGroups("coordination.k8s.io").withResources("leases")
                            .withVerbs("get", "create", "update").endResourceRule().withIncomplete(false).endStatus().build())
                    .always();
            try {
                MockCluster.applyCrds(s.getClient());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Test
    void itTakesTheLeaseAndReconciles() {
        KubernetesClient client = server.getClient();
        Lease lease = await().atMost(Duration.ofSeconds(30)).until(() -> client.leases().inNamespace("livetune")
                .withName("livetune-training-operator").get(), l -> l != null);
        assertThat(lease.getSpec().getHolderIdentity()).isNotBlank();

        TrainingRun run = new TrainingRun();
        run.setMetadata(new ObjectMetaBuilder().withName("app").withNamespace("livetune").build());
        TrainingRunSpec spec = new TrainingRunSpec();
        spec.tenant = "acme";
        spec.adapter = "default";
        spec.version = 1;
        spec.baseModel = "m";
        spec.dataset = new TrainingRunSpec.Artifact("tenants/acme/datasets/j/train.jsonl", "00");
        spec.output = "tenants/acme/adapters/default/v1";
        run.setSpec(spec);
        client.resource(run).create();
        var job = await().atMost(Duration.ofSeconds(30)).until(() -> client.batch().v1().jobs().inNamespace("livetune")
                .withName("app-a1").get(), j -> j != null);
        assertThat(job.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).isEqualTo("livetune/trainer:0.1.0");
        assertThat(job.getSpec().getTemplate().getSpec().getVolumes().get(0).getPersistentVolumeClaim().getClaimName())
                .isEqualTo("livetune-models");
    }

    @Test
    void itIsReadyOnceItsInformersAreSynced() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> r = await().atMost(Duration.ofSeconds(30)).until(
                () -> http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString()),
                resp -> resp.statusCode() == 200);
        assertThat(r.body()).contains("\"name\": \"operator informers\"", "\"status\": \"UP\"", "\"controllers\": 2");
    }
}
