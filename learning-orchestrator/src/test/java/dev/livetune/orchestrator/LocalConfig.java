package dev.livetune.orchestrator;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** The orchestrator's configuration for tests that use its parts without Quarkus, on the local Redis. */
final class LocalConfig {

    private LocalConfig() {
    }

    /**
     * @param root  holds the artifact store ({@code artifacts}) and the base model ({@code base})
     * @param extra more settings, by property name
     * @throws IllegalStateException when Redis is not on localhost:6379, saying how to start it
     */
    static OrchestratorConfig withRedis(Path root, Map<String, String> extra) {
        try (Socket s = new Socket("localhost", 6379)) {
            // reachable
        } catch (IOException e) {
            throw new IllegalStateException("Redis is not running on localhost:6379; start it (redis-server --daemonize yes)"
                    + " or run the tests through .ci/run");
        }
        // Quarkus's converter reads durations such as "10m", as in the service.
        SmallRyeConfigBuilder b = new SmallRyeConfigBuilder().withMapping(OrchestratorConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withDefaultValue("livetune.orchestrator.artifacts-dir", root.resolve("artifacts").toString())
                .withDefaultValue("livetune.orchestrator.base-model-dir", root.resolve("base").toString());
        extra.forEach(b::withDefaultValue);
        return b.build().getConfigMapping(OrchestratorConfig.class);
    }
}
