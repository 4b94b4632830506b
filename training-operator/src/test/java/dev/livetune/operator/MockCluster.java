package dev.livetune.operator;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import java.io.InputStream;

/** The CRDs from api and an operator on the fabric8 mock server (CRUD mode). */
final class MockCluster {

    private MockCluster() {
    }

    static void applyCrds(KubernetesClient client) throws Exception {
        for (String crd : new String[] {"trainingruns.livetune.dev-v1.yml", "adapterreleases.livetune.dev-v1.yml"}) {
            try (InputStream in = MockCluster.class.getResourceAsStream("/META-INF/fabric8/" + crd)) {
                CustomResourceDefinition d = client.apiextensions().v1().customResourceDefinitions().load(in).item();
                client.resource(d).createOr(NonDeletingOperation::update);
            }
        }
    }

    /** The mock server answers server-side-apply status patches with 415, so the operator patches them plainly here. */
    static Operator start(KubernetesClient client, Reconciler<?>... reconcilers) {
        Operator operator = new Operator(o -> o.withKubernetesClient(client).withUseSSAToPatchPrimaryResource(false)
                .withCloseClientOnStop(false));
        for (Reconciler<?> r : reconcilers) {
            operator.register((Reconciler) r);
        }
        operator.start();
        return operator;
    }
}
