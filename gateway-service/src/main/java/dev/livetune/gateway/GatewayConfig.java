package dev.livetune.gateway;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** {@code livetune.gateway.*} (environment: {@code LIVETUNE_GATEWAY_*}). */
@ConfigMapping(prefix = "livetune.gateway")
public interface GatewayConfig {

    /** inference-service host (a headless Service name spreads calls over replicas). */
    @WithDefault("localhost")
    String inferenceHost();

    /** inference-service gRPC port. */
    @WithDefault("9000")
    int inferencePort();

    /** Token for {@code /admin/*} (Bearer); without one the admin API refuses every call. */
    Optional<String> adminToken();

    /** The id under which {@code /v1/models} lists the base model. */
    @WithDefault("livetune-base")
    String baseModel();

    /**
     * The secret of inference-service's {@code Generate} caller tokens (the same as inference's): each call
     * carries a token for its tenant alone. Unset: calls carry none (inference's Generate must be open).
     */
    Optional<String> generateSecret();

    /** Redis URI (Lettuce syntax). */
    @WithDefault("redis://localhost:6379")
    String redisUri();

    /**
     * How long a Redis command may wait before the client gets 503: longer than a short stall of
     * Redis (a failover, a {@code CLIENT PAUSE}, a slow fork), so that one is ridden out.
     */
    @WithDefault("10s")
    Duration redisTimeout();

    /** RabbitMQ AMQP URI. */
    @WithDefault("amqp://guest:guest@localhost:5672/%2F")
    String rabbitmqUri();

    /** The durable queue learn requests go to. */
    @WithDefault("learn-requests")
    String learnQueue();

    /** How long a learn request waits for the broker's publisher confirm before the client gets 503. */
    @WithDefault("5s")
    Duration publishConfirmTimeout();

    /** Where uploaded files are kept ({@code <dir>/<tenant>/<file id>}); in a cluster, the files volume (the only one the gateway mounts). */
    @WithDefault("${java.io.tmpdir}/livetune-files")
    String filesDir();

    /** Largest upload, in bytes. */
    @WithDefault("10485760")
    long maxFileBytes();

    /** Most files a tenant keeps; an upload past it is refused (429) until it deletes some. */
    @WithDefault("100")
    int maxFilesPerTenant();

    /** Most bytes a tenant's files take in all (default 200 MiB). */
    @WithDefault("209715200")
    long maxFileBytesPerTenant();

    /** Adapters (aliases) a tenant may have; teaching a new one past it is refused (429). */
    @WithDefault("20")
    int maxAdaptersPerTenant();

    /** Streams (streamed chats, live job streams) a tenant may hold open at once on one replica; past it, 429. */
    @WithDefault("16")
    int maxStreamsPerTenant();

    /** Learn jobs per tenant per hour (its own quota: they cost no chat request). */
    @WithDefault("60")
    int learnJobsPerHour();

    /** Requests per tenant per minute. */
    @WithDefault("600")
    int requestsPerMinute();

    /** Prompt + completion tokens per tenant per minute. */
    @WithDefault("200000")
    int tokensPerMinute();

    /** Largest {@code max_tokens} a request may ask for. */
    @WithDefault("4096")
    int maxTokensLimit();

    /** Messages kept per session (oldest dropped). */
    @WithDefault("100")
    int sessionMaxMessages();

    /** Bytes kept per session (its newest messages that fit; the oldest dropped). */
    @WithDefault("131072")
    int sessionMaxBytes();

    /** Sessions kept per tenant; recording one more forgets the least recently used. */
    @WithDefault("1000")
    int maxSessionsPerTenant();

    /** Sessions expire this long after their last use. */
    @WithDefault("7d")
    Duration sessionTtl();

    /** Upstream deadline for one completion. */
    @WithDefault("300s")
    Duration inferenceDeadline();
}
