package dev.livetune.inference;

import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/** Waits for the service to report SERVING over grpc.health.v1, as a Kubernetes gRPC probe does. */
final class Serving {

    private Serving() {
    }

    static ServingStatus status() {
        return HealthGrpc.newBlockingStub(Clients.CHANNEL).check(HealthCheckRequest.newBuilder().setService("").build())
                .getStatus();
    }

    static void await() {
        try {
            Awaitility.await("inference-service reporting SERVING").dontCatchUncaughtExceptions()
                    .atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(50))
                    .until(Serving::status, s -> s == ServingStatus.SERVING);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("inference-service never reported SERVING", e);
        }
    }
}
