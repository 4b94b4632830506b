package dev.livetune.orchestrator;

import dev.livetune.api.k8s.AdapterRelease;
import dev.livetune.api.k8s.TrainingRun;
import dev.livetune.broker.Wakeups;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Wakes a job waiting on a TrainingRun or an AdapterRelease when the object changes: one informer per
 * kind in the namespace, started on first use. The job reads the object itself after each wake-up (or
 * after {@code max}, in case a watch was lost and not yet re-established), so a missed event costs
 * time, never a decision.
 */
@Singleton
class ClusterEvents {

    private static final Logger LOG = Logger.getLogger(ClusterEvents.class);

    private final Wakeups changes = new Wakeups();
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    private String watching;

    /** Starts watching the namespace's TrainingRuns and AdapterReleases (once). */
    synchronized void watch(KubernetesClient client, String namespace) {
        if (namespace.equals(watching)) {
            return;
        }
        stop();
        try {
            informers.add(client.resources(TrainingRun.class).inNamespace(namespace).inform(handler()));
            informers.add(client.resources(AdapterRelease.class).inNamespace(namespace).inform(handler()));
            watching = namespace;
        } catch (RuntimeException e) {
            // no watch (permissions, an old API server): waits fall back to reading every few seconds
            LOG.warnf("not watching TrainingRuns and AdapterReleases in %s (%s); reading them every few seconds instead",
                    namespace, e.getMessage());
            stop();
        }
    }

    private <T extends HasMetadata> ResourceEventHandler<T> handler() {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                changed(obj);
            }

            @Override
            public void onUpdate(T before, T after) {
                changed(after);
            }

            @Override
            public void onDelete(T obj, boolean finalStateUnknown) {
                changed(obj);
            }
        };
    }

    private void changed(HasMetadata obj) {
        changes.wake(key(obj.getClass(), obj.getMetadata().getName()));
    }

    /**
     * Starts following an object's changes: take a mark before reading it, await after; close when
     * no longer waiting on it.
     */
    Wakeups.Watch follow(Class<? extends HasMetadata> kind, String name) {
        return changes.watch(key(kind, name));
    }

    private static String key(Class<?> kind, String name) {
        return kind.getSimpleName() + "/" + name;
    }

    @PreDestroy
    synchronized void stop() {
        informers.forEach(SharedIndexInformer::close);
        informers.clear();
        watching = null;
    }
}
