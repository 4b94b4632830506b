package dev.livetune.augment.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** {@code livetune.augment.*}: the workers, the teacher and web fetching. */
@ConfigMapping(prefix = "livetune.augment")
public interface AugmentationConfig {

    @WithDefault("amqp://guest:guest@localhost:5672")
    String rabbitmqUri();

    /**
     * inference-service, for the {@code self} teacher (application.properties hands them to the gRPC
     * client; declared here so that setting them is not refused as an unknown property).
     */
    @WithDefault("localhost")
    String inferenceHost();

    @WithDefault("9000")
    int inferencePort();

    /** Where tasks arrive. */
    @WithDefault("augment-tasks")
    String tasksQueue();

    /** Where results go when a task names no reply-to queue. */
    @WithDefault("augment-results")
    String resultsQueue();

    /** Tasks worked on at once by this replica. */
    @WithDefault("2")
    int consumers();

    /** Unacknowledged tasks this replica holds at most (at least {@code consumers}, or some stay idle). */
    @WithDefault("2")
    int prefetch();

    /** {@code rules} (offline, deterministic), {@code self} (the tenant's model) or {@code openai}. */
    @WithDefault("rules")
    String teacher();

    /** How long one teacher call may take. */
    @WithDefault("120s")
    Duration teacherTimeout();

    /** The {@code openai} teacher's endpoint, e.g. {@code https://api.openai.com/v1}. */
    Optional<URI> openaiBaseUrl();

    Optional<String> openaiApiKey();

    Optional<String> openaiModel();

    /** Longest reply, in tokens, the {@code self} teacher asks the tenant's model for. */
    @WithDefault("768")
    int selfMaxTokens();

    /** The SearXNG instance for web learning; without it web tasks fail saying so. */
    Optional<URI> searxngUrl();

    /** Hosts whose pages may be fetched although they resolve to internal addresses. */
    Optional<List<String>> fetchAllowlist();

    @WithDefault("3")
    int webResults();

    /** The ports result pages are fetched from (hosts on the allowlist excepted). */
    @WithDefault("80,443")
    Set<Integer> fetchPorts();

    @WithDefault("2097152")
    long fetchMaxBytes();

    /** For a whole page: connecting, redirects and the body (a server that drips it is cut off). */
    @WithDefault("10s")
    Duration fetchTimeout();
}
