package dev.livetune.inference;

import dev.livetune.api.adapter.AdapterRef;
import dev.livetune.llm.LanguageModel;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.generate.GenerationRequest;
import dev.livetune.llm.generate.SamplingParams;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.quarkus.grpc.runtime.health.GrpcHealthStorage;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Owns the model, the adapter registry and the decode loop. The model loads on a background thread
 * after startup, so the gRPC server is already up and reports NOT_SERVING until the model is loaded,
 * warmed up and the configured adapters are live (one that cannot be, a tampered artifact say, is
 * logged and skipped: the others and the base model are served); shutdown reports NOT_SERVING again, refuses new
 * requests and lets running streams finish within the drain grace.
 */
@ApplicationScoped
public class InferenceEngine {

    private static final Logger LOG = Logger.getLogger(InferenceEngine.class);

    private final InferenceConfig config;
    private final InferenceMetrics metrics;
    private final GrpcHealthStorage health;
    private volatile TorchRuntime runtime;
    private volatile LanguageModel model;
    private volatile AdapterRegistry registry;
    private volatile Scheduler scheduler;
    private volatile boolean ready;
    private volatile boolean draining;
    private volatile String failure;
    private final List<String> skipped = new java.util.concurrent.CopyOnWriteArrayList<>();

    InferenceEngine(InferenceConfig config, InferenceMetrics metrics, GrpcHealthStorage health) {
        this.config = config;
        this.metrics = metrics;
        this.health = health;
    }

    void onStart(@Observes StartupEvent event) {
        setServing(false);
        Thread loader = new Thread(this::load, "livetune-model-load");
        loader.setDaemon(true);
        loader.start();
    }

    private void load() {
        try {
            long t0 = System.nanoTime();
            runtime = TorchRuntime.start(config.threads(), null, config.device(), config.precision());
            model = LanguageModel.load(config.modelDir(), runtime);
            registry = new AdapterRegistry(model, config.artifactsDir(), config.maxResidentAdapters(),
                    config.allowUnverifiedAdapters(), s -> {
                        metrics.adapterLoads.increment();
                        metrics.adapterLoad.record((long) (s * 1e9), TimeUnit.NANOSECONDS);
                    }, metrics.adapterLoadFailures::increment);
            AdapterRegistry adapters = registry;
            metrics.residentAdapters(adapters::residentCount);
            model.generator(new java.util.SplittableRandom(0)).generate(List.of(GenerationRequest.of(new int[] {0},
                    null, SamplingParams.builder().setMaxNewTokens(2).optIgnoreEos(true).build())));
            for (String spec : config.adapters().orElse(List.of())) {
                try {
                    preload(spec);
                } catch (RuntimeException e) {
                    // One tenant's bad artifact (or entry) must not keep every tenant from being served.
                    skipped.add(spec);
                    LOG.errorf("adapter %s not live at startup: %s; serving everything else", spec, e.getMessage());
                }
            }
            scheduler = new Scheduler(model, config.maxBatch(), config.maxWaiting(), metrics);
            scheduler.start();
            ready = true;
            setServing(true);
            LOG.infof("serving %s (%s, %d layers, %s on %s) after %.1f s", config.modelDir(),
                    model.decoder().config().family().architecture(), model.decoder().config().numLayers(),
                    runtime.precision().settingName(), runtime.device(), (System.nanoTime() - t0) / 1e9);
        } catch (RuntimeException | Error e) {
            failure = e.getMessage() == null ? e.toString() : e.getMessage();
            LOG.error("cannot serve " + config.modelDir() + ": " + failure, e);
        }
    }

    /** {@code tenant/name@vN} or {@code tenant/name@vN=DIR}: load and activate. */
    private void preload(String spec) {
        int eq = spec.indexOf('=');
        AdapterRef ref = AdapterRef.parse(eq < 0 ? spec.trim() : spec.substring(0, eq).trim());
        if (ref.isAlias()) {
            throw new IllegalArgumentException("livetune.inference.adapters: '" + spec + "' needs a version (tenant/name@vN)");
        }
        Optional<Path> dir = eq < 0 ? Optional.empty() : Optional.of(Path.of(spec.substring(eq + 1).trim()));
        if (dir.isEmpty() && registry.residentCount() >= config.maxResidentAdapters()) {
            // More live adapters than memory keeps: the rest are loaded from the store when first asked for.
            registry.point(ref);
            LOG.infof("adapter %s live (loaded on first use)", ref);
            return;
        }
        AdapterRegistry.LoadResult r = registry.load(ref, dir, true, false);
        LOG.infof("adapter %s live (%.0f ms)", r.ref(), r.loadSeconds() * 1000);
    }

    private void setServing(boolean serving) {
        ServingStatus s = serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
        health.setStatus(GrpcHealthStorage.DEFAULT_SERVICE_NAME, s);
        health.setStatus("livetune.inference.v1.Inference", s);
    }

    /** @return the startup adapters ({@code livetune.inference.adapters} entries) that could not be made live */
    public List<String> skippedAdapters() {
        return List.copyOf(skipped);
    }

    /** @return null when ready, else why not (loading, failed, draining) */
    public String notReadyReason() {
        if (draining) {
            return "draining: this replica is shutting down";
        }
        if (failure != null) {
            return "model failed to load: " + failure;
        }
        return ready ? null : "model is still loading";
    }

    LanguageModel model() {
        return model;
    }

    AdapterRegistry registry() {
        return registry;
    }

    Scheduler scheduler() {
        return scheduler;
    }

    InferenceConfig config() {
        return config;
    }

    InferenceMetrics metrics() {
        return metrics;
    }

    void onStop(@Observes @Priority(1) ShutdownEvent event) {
        draining = true;
        setServing(false);
        Scheduler s = scheduler;
        if (s != null) {
            try {
                boolean drained = s.drain(config.drainGrace().toMillis());
                LOG.infof(drained ? "drained: every stream finished" : "drain grace over with %d streams running",
                        s.running());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            s.close();
        }
        if (registry != null) {
            registry.close();
        }
        if (model != null) {
            model.close();
        }
        if (runtime != null) {
            runtime.close();
        }
    }
}
