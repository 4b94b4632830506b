package dev.livetune.standalone;

import io.quarkus.runtime.annotations.QuarkusMain;
import java.util.Arrays;

/**
 * {@code livetune up | chat | demo}: the standalone app and its two clients in one jar. {@code up}
 * starts every role in this JVM; {@code chat} and {@code demo} talk to a running one.
 */
@QuarkusMain
public final class Livetune {

    static final String USAGE = """
            usage: livetune <command>
              up     start livetune here: gateway, inference, learning, augmentation, embedded Redis
                     (builds the starter model on the first start when LIVETUNE_MODEL_DIR is not set)
              chat   a terminal chat with the running livetune; [Learn] teaches it, /help lists commands
              demo   a scripted session: ask, teach, ask in a new session, restart, ask again
              build-starter --out DIR [--seed N]   build a starter model elsewhere, from other seeds
            environment: LIVETUNE_HTTP_PORT (8080), LIVETUNE_GRPC_PORT (9001), LIVETUNE_HOST (127.0.0.1),
              LIVETUNE_DATA_DIR (~/.livetune), LIVETUNE_API_KEY, LIVETUNE_MODEL_DIR, LIVETUNE_TRAINER_JAR,
              LIVETUNE_OTLP_ENDPOINT (traces to an OpenTelemetry collector, e.g. http://localhost:4318)""";

    Livetune() {
    }

    public static void main(String... args) {
        String command = args.length == 0 ? "up" : args[0];
        String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
        int code;
        try {
            Settings settings = Settings.from(System.getenv());
            code = switch (command) {
                case "up" -> Up.run(settings, rest);
                case "chat" -> ChatCli.run(settings, rest);
                case "demo" -> Demo.run(settings, rest);
                case "build-starter" -> BuildStarter.run(settings, rest);
                case "help", "-h", "--help" -> {
                    System.out.println(USAGE);
                    yield 0;
                }
                default -> {
                    System.err.println("livetune: unknown command '" + command + "'\n" + USAGE);
                    yield 64;
                }
            };
        } catch (Settings.Invalid e) {
            System.err.println("livetune: " + e.getMessage());
            code = 64;
        } catch (Exception e) {
            System.err.println("livetune: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            code = 70;
        }
        System.exit(code);
    }
}
