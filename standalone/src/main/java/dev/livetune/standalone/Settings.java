package dev.livetune.standalone;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The standalone settings, from the environment. Every value has a default a laptop can use; a
 * value that cannot be used is refused at once, saying which variable and why.
 *
 * @param trainerJar the trainer jar, when found (needed by {@code up} only)
 * @param otlpEndpoint an OpenTelemetry collector's OTLP/HTTP endpoint to send traces to, or none
 */
record Settings(String host, int httpPort, int grpcPort, Path dataDir, Optional<String> apiKey, Optional<Path> modelDir,
        Optional<Path> trainerJar, Optional<String> otlpEndpoint) {

    /** A setting that cannot be used. */
    static final class Invalid extends RuntimeException {
        Invalid(String message) {
            super(message);
        }
    }

    static Settings from(Map<String, String> env) {
        String host = env.getOrDefault("LIVETUNE_HOST", "127.0.0.1");
        int http = port(env, "LIVETUNE_HTTP_PORT", 8080);
        int grpc = port(env, "LIVETUNE_GRPC_PORT", 9001);
        if (http == grpc) {
            throw new Invalid("LIVETUNE_HTTP_PORT and LIVETUNE_GRPC_PORT must differ (both " + http + ")");
        }
        Path data = Optional.ofNullable(env.get("LIVETUNE_DATA_DIR")).filter(s -> !s.isBlank()).map(Path::of)
                .orElse(Path.of(System.getProperty("user.home"), ".livetune")).toAbsolutePath().normalize();
        Optional<String> key = Optional.ofNullable(env.get("LIVETUNE_API_KEY")).filter(s -> !s.isBlank());
        Optional<Path> model = Optional.ofNullable(env.get("LIVETUNE_MODEL_DIR")).filter(s -> !s.isBlank())
                .map(s -> Path.of(s).toAbsolutePath().normalize());
        model.ifPresent(m -> {
            if (!Files.isRegularFile(m.resolve("config.json"))) {
                throw new Invalid("LIVETUNE_MODEL_DIR=" + m + " is not a Hugging Face model directory (no config.json)");
            }
        });
        Optional<String> otlp = Optional.ofNullable(env.get("LIVETUNE_OTLP_ENDPOINT")).map(String::strip).filter(s -> !s.isEmpty());
        otlp.ifPresent(o -> {
            if (!o.matches("https?://[^/\\s]+/?")) {
                throw new Invalid("LIVETUNE_OTLP_ENDPOINT=" + o + " is not an OTLP/HTTP endpoint (e.g. http://localhost:4318)");
            }
        });
        return new Settings(host, http, grpc, data, key, model, trainerJar(env), otlp);
    }

    private static int port(Map<String, String> env, String name, int fallback) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            int p = Integer.parseInt(v.strip());
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new Invalid(name + "=" + v + " is not a port (1-65535)");
    }

    /** LIVETUNE_TRAINER_JAR, else the trainer built beside this module in the repository, else ./trainer/target. */
    private static Optional<Path> trainerJar(Map<String, String> env) {
        String given = env.get("LIVETUNE_TRAINER_JAR");
        if (given != null && !given.isBlank()) {
            Path p = Path.of(given).toAbsolutePath();
            if (!Files.isRegularFile(p)) {
                throw new Invalid("LIVETUNE_TRAINER_JAR=" + given + " does not exist");
            }
            return Optional.of(p);
        }
        try {
            // .../standalone/target/quarkus-app/app/standalone-*.jar → .../trainer/target/trainer.jar
            Path here = Path.of(Settings.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path p = here; p != null; p = p.getParent()) {
                Path candidate = p.resolve("trainer/target/trainer.jar");
                if (Files.isRegularFile(candidate)) {
                    return Optional.of(candidate);
                }
            }
        } catch (URISyntaxException | RuntimeException e) {
            // fall through to the working directory
        }
        return List.of(Path.of("trainer/target/trainer.jar")).stream().filter(Files::isRegularFile)
                .map(Path::toAbsolutePath).findFirst();
    }

    Path requireTrainerJar() {
        return trainerJar.orElseThrow(() -> new Invalid("the trainer jar is missing: build it with "
                + "`./mvnw -B -q install -DskipTests` or point LIVETUNE_TRAINER_JAR at one"));
    }

    String httpUrl() {
        return "http://" + clientHost() + ":" + httpPort;
    }

    /** Where a client on this machine reaches the servers (a wildcard bind is reached on loopback). */
    String clientHost() {
        return host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
    }

    Path apiKeyFile() {
        return dataDir.resolve("api-key");
    }
}
