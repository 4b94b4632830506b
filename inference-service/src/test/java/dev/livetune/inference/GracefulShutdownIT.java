package dev.livetune.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livetune.api.inference.v1.FinishReason;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The packaged service started from the command line, then stopped with SIGTERM while a stream
 * runs: health turns NOT_SERVING at once, and the running stream still ends whole.
 */
class GracefulShutdownIT {

    @Test
    void sigtermLetsRunningStreamsFinish() throws Exception {
        Map<String, String> config = new ServedModel().start();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        config.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.addAll(List.of("-Dquarkus.grpc.server.port=9102", "-Dquarkus.http.port=8102",
                "-jar", "target/quarkus-app/quarkus-run.jar"));
        Process service = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ServedModel.root.resolve("service.log").toFile()).start();
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", 9102).usePlaintext().build();
        try {
            HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
            await("SERVING within 2 minutes").dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofMillis(100)).until(() -> {
                        assertThat(service.isAlive()).as("service running").isTrue();
                        return status(health) == ServingStatus.SERVING;
                    });
            var stub = dev.livetune.api.inference.v1.InferenceGrpc.newBlockingStub(channel);
            var stream = stub.generate(Clients.greedy("acme/support", "Tell me a long story.", 400));
            assertThat(stream.hasNext()).isTrue();
            CompletableFuture<Clients.Reply> rest = CompletableFuture.supplyAsync(() -> Clients.collect(stream));

            service.toHandle().destroy(); // SIGTERM
            await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                    .untilAsserted(() -> assertThat(status(health)).as("health while draining")
                            .isNotEqualTo(ServingStatus.SERVING));

            Clients.Reply reply = rest.get(2, TimeUnit.MINUTES);
            assertThat(reply.tokens()).as("the running stream finished whole").hasSize(400);
            assertThat(reply.last().getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_LENGTH);
            assertThat(service.waitFor(1, TimeUnit.MINUTES)).as("the service exits after draining").isTrue();
        } finally {
            channel.shutdownNow();
            service.destroyForcibly().waitFor();
            ServedModel.deleteTree(ServedModel.root);
        }
    }

    private static ServingStatus status(HealthGrpc.HealthBlockingStub health) {
        try {
            return health.withDeadlineAfter(2, TimeUnit.SECONDS).check(HealthCheckRequest.newBuilder().setService("").build())
                    .getStatus();
        } catch (StatusRuntimeException e) {
            return ServingStatus.UNKNOWN;
        }
    }
}
