package dev.livetune.operator;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.artifact.ArtifactLayout;
import dev.livetune.api.inference.v1.LoadAdapterRequest;
import dev.livetune.api.k8s.AdapterRelease;
import dev.livetune.api.k8s.AdapterReleaseStatus;
import dev.livetune.api.trace.TraceContext;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.StatusRuntimeException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Rolls an {@link AdapterRelease} out to every ready inference replica in two steps: the version is
 * loaded (sha256-verified, warmed) on all of them, and only when every replica has it is the alias
 * switched on each. A replica that cannot load it leaves the old version live everywhere and the
 * release {@code Degraded}, naming the replica and its reason; it is tried again after
 * {@code retryAfter}. Rollback is a spec change to an older version, rolled out the same way.
 *
 * <p>Replicas come from the inference Service's EndpointSlices; a change there (a replica added or
 * becoming ready) reconciles every release of the namespace, so a new replica gets the live
 * versions. The ConfigMap {@code liveConfigMap} lists every live version
 * ({@code LIVETUNE_INFERENCE_ADAPTERS}), which a replica loads before it reports ready.
 */
@ControllerConfiguration(name = "adapterrelease")
public class AdapterReleaseReconciler implements Reconciler<AdapterRelease>, AutoCloseable {

    static final String READY = "Ready";
    static final String LIVE_KEY = "LIVETUNE_INFERENCE_ADAPTERS";

    private final ReleaseSettings settings;
    private final Clock clock;
    private final Replicas replicas;
    private final ExecutorService calls = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "adapter-release");
        t.setDaemon(true);
        return t;
    });
    private final ObjectMapper json = new ObjectMapper();
    private final Tracer tracer;

    public AdapterReleaseReconciler(ReleaseSettings settings, Clock clock, Tracer tracer) {
        this.settings = settings;
        this.clock = clock;
        this.tracer = tracer;
        this.replicas = new Replicas(settings);
    }

    @Override
    public List<EventSource<?, AdapterRelease>> prepareEventSources(EventSourceContext<AdapterRelease> context) {
        return List.of(new InformerEventSource<>(InformerEventSourceConfiguration.from(EndpointSlice.class, AdapterRelease.class)
                .withNamespacesInheritedFromController()
                .withLabelSelector(Replicas.SERVICE_NAME_LABEL + "=" + settings.inferenceService())
                .withSecondaryToPrimaryMapper(slice -> context.getPrimaryCache()
                        .list(slice.getMetadata().getNamespace()).map(ResourceID::fromResource).collect(Collectors.toSet()))
                .build(), context));
    }

    @Override
    public UpdateControl<AdapterRelease> reconcile(AdapterRelease release, Context<AdapterRelease> context) {
        AdapterReleaseStatus next = traced(release, () -> rollOut(release, context.getClient()));
        UpdateControl<AdapterRelease> control;
        if (same(next, release.getStatus())) {
            control = UpdateControl.noUpdate();
        } else {
            release.setStatus(next);
            control = UpdateControl.patchStatus(release);
        }
        return AdapterReleaseStatus.LIVE.equals(next.phase) ? control : control.rescheduleAfter(settings.retryAfter());
    }

    /**
     * A rollout not yet live is a span in the trace of the job's releasing phase (the release's
     * annotation); reconciling a release that is live already (a replica came or went) is not.
     */
    private AdapterReleaseStatus traced(AdapterRelease release, java.util.function.Supplier<AdapterReleaseStatus> rollOut) {
        AdapterReleaseStatus current = release.getStatus();
        if (current != null && AdapterReleaseStatus.LIVE.equals(current.phase)
                && Objects.equals(current.observedGeneration, release.getMetadata().getGeneration())) {
            return rollOut.get();
        }
        var spec = release.getSpec();
        Span span = tracer.spanBuilder("roll out adapter")
                .setParent(TraceContext.parent(TrainingRunReconciler.traceparent(release)))
                .setAttribute("livetune.tenant", spec.tenant).setAttribute("livetune.adapter", spec.adapter)
                .setAttribute("livetune.adapter.version", spec.version).startSpan();
        try {
            AdapterReleaseStatus next = rollOut.get();
            span.setAttribute("livetune.release.phase", String.valueOf(next.phase));
            span.setAttribute("livetune.release.ready_replicas", next.readyReplicas);
            if (!AdapterReleaseStatus.LIVE.equals(next.phase)) {
                span.setStatus(StatusCode.ERROR, String.valueOf(next.message));
            }
            return next;
        } catch (RuntimeException e) {
            throw TraceContext.failed(span, e);
        } finally {
            span.end();
        }
    }

    AdapterReleaseStatus rollOut(AdapterRelease release, KubernetesClient client) {
        AdapterReleaseStatus s = release.getStatus() == null ? new AdapterReleaseStatus()
                : json.convertValue(release.getStatus(), AdapterReleaseStatus.class);
        Long generation = release.getMetadata().getGeneration();
        s.observedGeneration = generation;
        var spec = release.getSpec();
        String ref = spec.tenant + "/" + spec.adapter + "@v" + spec.version;
        String where = where(spec.tenant, spec.adapter, spec.version);
        if (spec.uri != null && !spec.uri.equals(where)) {
            return set(s, AdapterReleaseStatus.DEGRADED, "False", "InvalidSpec", "spec.uri " + spec.uri + " is not where "
                    + ref + " lives (" + where + "); nothing was loaded", generation);
        }
        List<String> targets = replicas.ready(client, release.getMetadata().getNamespace());
        s.targetReplicas = targets.size();
        if (targets.isEmpty()) {
            s.readyReplicas = 0;
            return set(s, AdapterReleaseStatus.PENDING, "False", "NoReplicas", "no ready replica behind Service "
                    + settings.inferenceService(), generation);
        }
        // Step 1: every replica loads the version; nothing is switched yet.
        List<String> refused = call(targets, spec.tenant, spec.adapter, spec.version, spec.sha256, false);
        s.readyReplicas = targets.size() - refused.size();
        if (!refused.isEmpty()) {
            return set(s, AdapterReleaseStatus.DEGRADED, "False", "LoadFailed", ref + " is not live: " + refused.size() + " of "
                    + targets.size() + " replicas could not load it (" + String.join("; ", refused) + "); "
                    + (s.liveVersion == null ? "nothing" : "v" + s.liveVersion) + " stays live", generation);
        }
        // Step 2: all have it; switch the alias on each.
        List<String> unswitched = call(targets, spec.tenant, spec.adapter, spec.version, spec.sha256, true);
        if (!unswitched.isEmpty()) {
            s.readyReplicas = targets.size() - unswitched.size();
            return set(s, AdapterReleaseStatus.DEGRADED, "False", "SwitchFailed", "the alias could not be switched to " + ref
                    + " on " + String.join("; ", unswitched), generation);
        }
        s.liveVersion = spec.version;
        publishLive(client, release);
        return set(s, AdapterReleaseStatus.LIVE, "True", "Live", ref + " serves on all " + targets.size() + " replicas",
                generation);
    }

    /** @return the version's uri in the artifact store, or a sentence saying why it has none */
    private static String where(String tenant, String adapter, int version) {
        try {
            return ArtifactLayout.versionUri(tenant, adapter, version);
        } catch (IllegalArgumentException e) {
            return "none: " + e.getMessage();
        }
    }

    /**
     * @param sha256 the weights' sha256 the release names (each replica refuses a version whose verified
     *               weights differ), or null
     * @return {@code replica: reason} for every replica that did not do it
     */
    private List<String> call(List<String> targets, String tenant, String name, int version, String sha256,
            boolean activate) {
        LoadAdapterRequest.Builder b = LoadAdapterRequest.newBuilder().setTenant(tenant).setName(name).setVersion(version)
                .setActivate(activate);
        if (sha256 != null) {
            b.setExpectedSha256(sha256);
        }
        LoadAdapterRequest request = b.build();
        List<CompletableFuture<String>> each = new ArrayList<>();
        for (String target : targets) {
            each.add(CompletableFuture.supplyAsync(() -> {
                try {
                    replicas.admin(target).withDeadlineAfter(settings.callTimeout().toMillis(), TimeUnit.MILLISECONDS)
                            .loadAdapter(request);
                    return null;
                } catch (StatusRuntimeException e) {
                    return target + ": " + e.getStatus().getCode() + (e.getStatus().getDescription() == null ? ""
                            : " " + e.getStatus().getDescription());
                }
            }, calls));
        }
        return each.stream().map(CompletableFuture::join).filter(Objects::nonNull).toList();
    }

    /**
     * Records this release's live version in the namespace's ConfigMap of live versions, for replicas
     * that start later. Each release writes only its own entry, under a lock (releases reconcile
     * concurrently) and with the ConfigMap's resourceVersion (another operator writing meanwhile
     * makes this try again on the next reconcile).
     */
    private synchronized void publishLive(KubernetesClient client, AdapterRelease release) {
        String ns = release.getMetadata().getNamespace();
        var spec = release.getSpec();
        ConfigMap current = client.configMaps().inNamespace(ns).withName(settings.liveConfigMap()).get();
        TreeMap<String, String> live = new TreeMap<>();
        String listed = current == null || current.getData() == null ? "" : current.getData().getOrDefault(LIVE_KEY, "");
        for (String entry : listed.split(",")) {
            int at = entry.indexOf('@');
            if (at > 0) {
                live.put(entry.substring(0, at), entry);
            }
        }
        String alias = spec.tenant + "/" + spec.adapter;
        String entry = alias + "@v" + spec.version;
        if (entry.equals(live.get(alias))) {
            return;
        }
        live.put(alias, entry);
        if (current == null) {
            client.resource(new ConfigMapBuilder().withNewMetadata().withName(settings.liveConfigMap()).withNamespace(ns)
                    .addToLabels("app.kubernetes.io/managed-by", TrainingJobs.MANAGED_BY).endMetadata()
                    .addToData(LIVE_KEY, String.join(",", live.values())).build()).create();
        } else {
            current.getData().put(LIVE_KEY, String.join(",", live.values()));
            client.resource(current).update();
        }
    }

    private AdapterReleaseStatus set(AdapterReleaseStatus s, String phase, String ready, String reason, String message,
            Long generation) {
        s.phase = phase;
        s.message = message;
        s.conditions = Conditions.set(s.conditions, READY, ready, reason, message, generation, clock);
        return s;
    }

    private boolean same(AdapterReleaseStatus a, AdapterReleaseStatus b) {
        return b != null && Objects.equals(json.valueToTree(a), json.valueToTree(b));
    }

    @Override
    public void close() {
        replicas.close();
        calls.shutdownNow();
    }
}
