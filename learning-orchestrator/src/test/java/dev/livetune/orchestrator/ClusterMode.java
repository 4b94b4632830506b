package dev.livetune.orchestrator;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import java.io.InputStream;
import java.util.Map;
import java.util.function.Consumer;

/** The orchestrator in cluster mode: TrainingRuns and AdapterReleases in namespace {@code livetune}. */
public class ClusterMode implements QuarkusTestResourceLifecycleManager {

    static final String NAMESPACE = "livetune";

    @Override
    public Map<String, String> start() {
        return Map.of("livetune.orchestrator.launcher", "kubernetes", "livetune.orchestrator.kubernetes-namespace", NAMESPACE,
                "livetune.orchestrator.training-gpus", "0", "livetune.orchestrator.training-cpu", "2",
                "livetune.orchestrator.training-memory", "2Gi", "livetune.orchestrator.release-timeout", "2m");
    }

    @Override
    public void stop() {
    }

    /** Puts the CRDs (generated into api's jar) into the mock server before the app starts. */
    public static class Crds implements Consumer<KubernetesServer> {
        @Override
        public void accept(KubernetesServer server) {
            for (String crd : new String[] {"trainingruns.livetune.dev-v1.yml", "adapterreleases.livetune.dev-v1.yml"}) {
                try (InputStream in = ClusterMode.class.getResourceAsStream("/META-INF/fabric8/" + crd)) {
                    CustomResourceDefinition d = server.getClient().apiextensions().v1().customResourceDefinitions().load(in).item();
                    server.getClient().resource(d).create();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }
    }
}
