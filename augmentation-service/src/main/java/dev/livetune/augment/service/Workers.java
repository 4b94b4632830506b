package dev.livetune.augment.service;

import dev.livetune.api.augment.AugmentTask;
import dev.livetune.api.inference.v1.InferenceGrpc;
import dev.livetune.augment.AugmentWorker;
import dev.livetune.augment.Augmenter;
import dev.livetune.augment.OpenAiTeacher;
import dev.livetune.augment.QualityFilter;
import dev.livetune.augment.RulesTeacher;
import dev.livetune.augment.SafeFetcher;
import dev.livetune.augment.SearchProvider;
import dev.livetune.augment.SearxngSearch;
import dev.livetune.augment.Teacher;
import dev.livetune.broker.Broker;
import dev.livetune.broker.Brokers;
import io.opentelemetry.api.trace.Tracer;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;

/**
 * This replica's workers on {@code augment-tasks}, with the teacher and web search from the
 * configuration. Ready while connected to the broker.
 */
@Singleton
@Readiness
public class Workers implements HealthCheck {

    private static final Logger LOG = Logger.getLogger(Workers.class);

    private final AugmentationConfig config;
    private volatile AugmentWorker worker;
    private Broker broker;

    @GrpcClient("inference")
    InferenceGrpc.InferenceBlockingStub inference;

    private final Tracer tracer;

    Workers(AugmentationConfig config, Tracer tracer) {
        this.config = config;
        this.tracer = tracer;
    }

    void start(@Observes StartupEvent event) throws Exception {
        Function<AugmentTask, Teacher> teachers = teachers();
        Optional<SearchProvider> search = config.searxngUrl().map(u -> new SearxngSearch(u, config.fetchTimeout()));
        SafeFetcher fetcher = new SafeFetcher(new HashSet<>(config.fetchAllowlist().orElse(List.of())), config.fetchMaxBytes(),
                config.fetchTimeout());
        String name = "augmentation-service@" + hostname();
        Augmenter augmenter = new Augmenter(teachers, QualityFilter.defaults(), search, fetcher, config.webResults(), name);
        broker = Brokers.open(config.rabbitmqUri(), name);
        worker = new AugmentWorker(broker, new AugmentWorker.Settings(config.tasksQueue(), config.resultsQueue(),
                config.consumers(), config.prefetch()), augmenter, tracer).start();
        LOG.infof("augmenting with the %s teacher: %d consumers on %s, prefetch %d%s", config.teacher(), config.consumers(),
                config.tasksQueue(), config.prefetch(), search.isPresent() ? ", web search on" : "");
    }

    /** @throws IllegalArgumentException naming what is missing, so a misconfigured replica does not start */
    private Function<AugmentTask, Teacher> teachers() {
        switch (config.teacher()) {
            case "rules" -> {
                RulesTeacher rules = new RulesTeacher();
                return task -> rules;
            }
            case "openai" -> {
                OpenAiTeacher openai = new OpenAiTeacher(config.openaiBaseUrl().orElseThrow(() -> new IllegalArgumentException(
                        "livetune.augment.teacher=openai needs livetune.augment.openai-base-url")), config.openaiApiKey(),
                        config.openaiModel().orElseThrow(() -> new IllegalArgumentException(
                                "livetune.augment.teacher=openai needs livetune.augment.openai-model")), config.teacherTimeout());
                return task -> openai;
            }
            case "self" -> {
                return task -> new SelfTeacher(inference, task.tenant() + "/" + task.adapter(), config.selfMaxTokens(),
                        config.teacherTimeout());
            }
            default -> throw new IllegalArgumentException("livetune.augment.teacher must be rules, self or openai, not '"
                    + config.teacher() + "'");
        }
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown";
        }
    }

    void stop(@Observes ShutdownEvent event) {
        if (worker != null) {
            worker.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Override
    public HealthCheckResponse call() {
        AugmentWorker w = worker;
        return HealthCheckResponse.named("augment-workers").status(w != null && w.connected())
                .withData("tasks-done", w == null ? 0 : w.done()).build();
    }
}
