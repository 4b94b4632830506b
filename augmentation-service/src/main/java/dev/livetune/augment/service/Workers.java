package dev.livetune.augment.service;

import dev.livetune.api.augment.AugmentResult;
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
import dev.livetune.broker.InProcessConnector;
import io.opentelemetry.api.trace.Tracer;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.health.HealthReport;
import io.smallrye.reactive.messaging.providers.extension.HealthCenter;
import io.smallrye.reactive.messaging.rabbitmq.IncomingRabbitMQMetadata;
import io.smallrye.reactive.messaging.rabbitmq.OutgoingRabbitMQMetadata;
import io.smallrye.reactive.messaging.rabbitmq.RabbitMQRejectMetadata;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.jboss.logging.Logger;

/**
 * This replica's workers on {@code augment-tasks} (the SmallRye channel of that name: a quorum queue
 * that RabbitMQ dead-letters to {@code <tasks-queue>.dead}), with the teacher and web search from the
 * configuration: up to {@code consumers} tasks at once (the {@code augment-workers} pool), holding at
 * most {@code prefetch} unacknowledged. A task's result goes to the queue its reply-to names (else
 * {@code results-queue}) on {@code augment-results-out}, confirmed by the broker, and only then is the
 * task acknowledged, so a worker that dies mid-task leaves it to another; a result that is not
 * confirmed puts the task back. A message that is not a task is dead-lettered. Ready while the
 * channels are connected.
 */
@Singleton
@Readiness
public class Workers implements HealthCheck {

    private static final Logger LOG = Logger.getLogger(Workers.class);
    private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(30);

    private final AugmentationConfig config;
    private final Tracer tracer;
    private final MutinyEmitter<byte[]> results;
    private final HealthCenter health;
    private final AtomicLong done = new AtomicLong();
    private volatile AugmentWorker worker;

    @GrpcClient("inference")
    InferenceGrpc.InferenceBlockingStub inference;

    Workers(AugmentationConfig config, Tracer tracer, @Channel("augment-results-out") MutinyEmitter<byte[]> results,
            HealthCenter health) {
        this.config = config;
        this.tracer = tracer;
        this.results = results;
        this.health = health;
    }

    void start(@Observes StartupEvent event) {
        Function<AugmentTask, Teacher> teachers = teachers();
        Optional<SearchProvider> search = config.searxngUrl().map(u -> new SearxngSearch(u, config.fetchTimeout()));
        SafeFetcher fetcher = new SafeFetcher(new HashSet<>(config.fetchAllowlist().orElse(List.of())), config.fetchPorts(),
                config.fetchMaxBytes(), config.fetchTimeout(), InetAddress::getAllByName);
        String name = "augmentation-service@" + hostname();
        worker = new AugmentWorker(new Augmenter(teachers, QualityFilter.defaults(), search, fetcher, config.webResults(), name),
                tracer);
        LOG.infof("augmenting with the %s teacher: %d consumers on %s, prefetch %d%s", config.teacher(), config.consumers(),
                config.tasksQueue(), config.prefetch(), search.isPresent() ? ", web search on" : "");
    }

    @Incoming("augment-tasks")
    @Blocking(value = "augment-workers", ordered = false)
    CompletionStage<Void> work(Message<byte[]> message) {
        AugmentTask task;
        try {
            task = AugmentWorker.read(InProcessConnector.bytes(message.getPayload()));
        } catch (IllegalArgumentException e) {
            LOG.warnf("dead-lettering an unreadable augment task: %s", e.getMessage());
            return settled(message.nack(e, Metadata.of(new RabbitMQRejectMetadata(false))));
        }
        AugmentWorker w = worker;
        if (w == null) {
            return settled(message.nack(new IllegalStateException("not started"), Metadata.of(new RabbitMQRejectMetadata(true))));
        }
        AugmentResult result;
        try {
            result = w.work(task);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return settled(message.nack(e, Metadata.of(new RabbitMQRejectMetadata(true))));
        }
        String replyTo = message.getMetadata(IncomingRabbitMQMetadata.class).flatMap(IncomingRabbitMQMetadata::getReplyTo)
                .filter(r -> !r.isBlank()).orElse(config.resultsQueue());
        try {
            results.sendMessage(Message.of(AugmentWorker.bytes(result), Metadata.of(OutgoingRabbitMQMetadata.builder()
                    .withRoutingKey(replyTo).withMessageId(task.taskId()).withContentType("application/json").build())))
                    .await().atMost(CONFIRM_TIMEOUT);
        } catch (RuntimeException e) {
            // the task goes back; a second result for it is ignored by the orchestrator
            LOG.warnf("the result of task %s was not confirmed (%s); the task goes back to the queue", task.taskId(),
                    e.toString());
            return settled(message.nack(e, Metadata.of(new RabbitMQRejectMetadata(true))));
        }
        done.incrementAndGet();
        return settled(message.ack());
    }

    /** A settlement that failed (the channel closed under it) is the broker's to redeliver, not the stream's end. */
    private static CompletionStage<Void> settled(CompletionStage<Void> settlement) {
        return settlement.exceptionally(e -> {
            LOG.debugf("settling a task failed (%s); the broker delivers it again", e.toString());
            return null;
        });
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
                return task -> new SelfTeacher(inference, task.tenant() + "/" + task.adapter(), task.callerToken(),
                        config.selfMaxTokens(), config.teacherTimeout());
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

    /** Alive until a task hit an {@link Error} (out of memory, say): then Kubernetes restarts this replica. */
    @Produces
    @Liveness
    HealthCheck alive() {
        return () -> {
            AugmentWorker w = worker;
            Error fatal = w == null ? null : w.fatal();
            return HealthCheckResponse.named("augment-workers-alive").status(fatal == null)
                    .withData("fatal", fatal == null ? "none" : fatal.toString()).build();
        };
    }

    @Override
    public HealthCheckResponse call() {
        boolean connected = health.getLiveness().getChannels().stream()
                .filter(c -> c.getChannel().startsWith("augment-")).allMatch(HealthReport.ChannelInfo::isOk);
        return HealthCheckResponse.named("augment-workers").status(worker != null && connected).withData("tasks-done", done.get())
                .build();
    }
}
