package dev.livetune.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.opentelemetry.api.trace.Tracer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.time.Clock;
import org.jboss.logging.Logger;

/**
 * Starts the reconcilers on Quarkus' Kubernetes client (in-cluster service account, or the
 * kubeconfig outside), with leader election through a Lease so that only one replica acts.
 */
@Singleton
public class Operators {

    private static final Logger LOG = Logger.getLogger(Operators.class);

    private final KubernetesClient client;
    private final OperatorConfig config;
    private Operator operator;
    private AdapterReleaseReconciler releases;
    private final Tracer tracer;

    Operators(KubernetesClient client, OperatorConfig config, Tracer tracer) {
        this.client = client;
        this.config = config;
        this.tracer = tracer;
    }

    void start(@Observes StartupEvent event) {
        operator = new Operator(o -> {
            o.withKubernetesClient(client).withCloseClientOnStop(false).withUseSSAToPatchPrimaryResource(config.serverSideApply());
            if (config.leaderElection()) {
                LeaderElectionConfigurationBuilder lease = LeaderElectionConfigurationBuilder
                        .aLeaderElectionConfiguration(config.leaseName());
                config.leaseNamespace().ifPresent(lease::withLeaseNamespace);
                // JOSDK allows staying up after losing the Lease only through its test builder
                o.withLeaderElectionConfiguration(config.exitOnLostLease() ? lease.build() : lease.buildForTest(false));
            }
        });
        // One namespace, as the Role in k8s/ allows (no cluster-wide lists).
        String namespace = config.namespace().orElse(client.getNamespace());
        operator.register(new TrainingRunReconciler(config.training(), Clock.systemUTC(), tracer), o -> o.settingNamespace(namespace));
        releases = new AdapterReleaseReconciler(config.release(), Clock.systemUTC(), tracer);
        operator.register(releases, o -> o.settingNamespace(namespace));
        operator.start();
        LOG.infof("reconciling TrainingRuns and AdapterReleases in %s (replicas of Service %s)%s", namespace,
                config.inferenceService(), config.leaderElection() ? " (once elected leader through Lease "
                + config.leaseName() + ")" : "");
    }

    /** @return the running operator, or null before startup */
    Operator operator() {
        return operator;
    }

    void stop(@Observes ShutdownEvent event) {
        // With leader election JOSDK ends the process (exit 1) when it stops leading (exit-on-lost-lease),
        // so that a replica that lost the Lease restarts; stopping it here would turn every graceful stop
        // into that. The Lease expires instead, and the reconcilers, which are idempotent, end with the
        // process.
        if (operator != null && !config.leaderElection()) {
            operator.stop();
        }
        if (releases != null) {
            releases.close();
        }
    }
}
