package dev.livetune.orchestrator;

import dev.livetune.api.adapter.Sha256;
import dev.livetune.api.artifact.AdapterManifest;
import dev.livetune.api.artifact.ArtifactLayout;
import dev.livetune.api.k8s.AdapterRelease;
import dev.livetune.api.k8s.AdapterReleaseSpec;
import dev.livetune.api.k8s.AdapterReleaseStatus;
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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * Releases in the cluster: sets the alias's {@code AdapterRelease} (one per tenant alias) to the
 * version and waits until the training-operator reports it live on every replica. If that does not
 * happen within {@code release-timeout} the release is set back to the version that was live, and
 * the job fails with the operator's reason.
 */
@Singleton
@Typed(KubernetesReleaser.class)
public class KubernetesReleaser implements AdapterReleaser {

    private final OrchestratorConfig config;
    private final Instance<KubernetesClient> clients;
    private final ClusterEvents events;

    KubernetesReleaser(OrchestratorConfig config, Instance<KubernetesClient> clients, ClusterEvents events) {
        this.config = config;
        this.clients = clients;
        this.events = events;
    }

    /**
     * @return a valid object name that is one alias's only: readable ({@code <tenant>-<alias>},
     *         sanitized, shortened) plus a hash of {@code tenant/alias}, since sanitizing alone can
     *         make two aliases one name ({@code a-b}/{@code c} and {@code a}/{@code b-c})
     */
    static String name(String tenant, String alias) {
        String readable = (tenant + "-" + alias).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
        readable = readable.substring(0, Math.min(readable.length(), 50)).replaceAll("^-+|-+$", "");
        return readable + "-" + Sha256.of((tenant + "/" + alias).getBytes(StandardCharsets.UTF_8)).substring(0, 10);
    }

    @Override
    public void release(String tenant, String alias, int version) {
        KubernetesClient client = clients.get();
        String ns = config.kubernetesNamespace().orElse(client.getNamespace());
        String name = name(tenant, alias);
        Resource<AdapterRelease> resource = client.resources(AdapterRelease.class).inNamespace(ns).withName(name);
        String uri = ArtifactLayout.versionUri(tenant, alias, version);
        Wakeups.Watch changes = events.follow(AdapterRelease.class, name);
        try {
            AdapterRelease current = resource.get();
            if (current != null && !(tenant.equals(current.getSpec().tenant) && alias.equals(current.getSpec().adapter))) {
                throw new JobFailure("the AdapterRelease " + ns + "/" + name + " belongs to " + current.getSpec().tenant + "/"
                        + current.getSpec().adapter + ", not " + tenant + "/" + alias);
            }
            Integer previous = current == null || current.getStatus() == null ? null : current.getStatus().liveVersion;
            // The operator's rollout continues the trace of the job's releasing phase.
            String traceparent = TraceContext.current();
            if (current == null) {
                AdapterRelease r = new AdapterRelease();
                ObjectMetaBuilder meta = new ObjectMetaBuilder().withName(name).withNamespace(ns)
                        .addToLabels("livetune.dev/tenant", tenant);
                if (traceparent != null) {
                    meta.addToAnnotations(TraceContext.ANNOTATION, traceparent);
                }
                r.setMetadata(meta.build());
                r.setSpec(spec(tenant, alias, version, uri));
                current = client.resource(r).create();
            } else if (current.getSpec().version != version) {
                // A patch of the spec alone: the operator patches the status meanwhile.
                AdapterReleaseSpec next = spec(tenant, alias, version, uri);
                current = resource.edit(r -> {
                    r.setSpec(next);
                    if (traceparent != null) {
                        r.getMetadata().getAnnotations().put(TraceContext.ANNOTATION, traceparent);
                    } else {
                        r.getMetadata().getAnnotations().remove(TraceContext.ANNOTATION);
                    }
                    return r;
                });
            }
            long generation = current.getMetadata().getGeneration() == null ? 1 : current.getMetadata().getGeneration();
            long deadline = System.nanoTime() + config.releaseTimeout().toNanos();
            String last = "no status yet";
            events.watch(client, ns);
            while (System.nanoTime() < deadline) {
                long mark = changes.mark();
                AdapterRelease r = resource.get();
                AdapterReleaseStatus s = r == null ? null : r.getStatus();
                if (s != null && s.observedGeneration != null && s.observedGeneration >= generation) {
                    last = s.message;
                    if (AdapterReleaseStatus.LIVE.equals(s.phase) && Integer.valueOf(version).equals(s.liveVersion)) {
                        return;
                    }
                }
                changes.await(mark, Duration.ofSeconds(2));
            }
            // Not live in time: the release goes back to what was live (or away, if nothing was), so the
            // operator does not make it live later behind the failed job's back.
            if (previous == null) {
                resource.delete();
            } else if (previous != version) {
                AdapterReleaseSpec back = spec(tenant, alias, previous, ArtifactLayout.versionUri(tenant, alias, previous));
                resource.edit(r -> {
                    r.setSpec(back);
                    return r;
                });
            }
            throw new JobFailure(alias + "@v" + version + " was not live on every replica within " + config.releaseTimeout()
                    + ": " + last);
        } catch (KubernetesClientException e) {
            throw new JobFailure("the Kubernetes API refused the AdapterRelease: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JobFailure("interrupted");
        } finally {
            changes.close();
        }
    }

    private AdapterReleaseSpec spec(String tenant, String alias, int version, String uri) {
        AdapterReleaseSpec spec = new AdapterReleaseSpec();
        spec.tenant = tenant;
        spec.adapter = alias;
        spec.version = version;
        spec.uri = uri;
        try {
            spec.sha256 = AdapterManifest.read(config.artifactsDir().resolve(uri)).weightsSha256();
        } catch (IOException e) {
            throw new JobFailure("cannot read " + uri + "/" + ArtifactLayout.ADAPTER_MANIFEST + ": " + e.getMessage(), e);
        }
        return spec;
    }
}
