package dev.livetune.inference;

import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;

/** Waits for the service to report SERVING over grpc.health.v1, as a Kubernetes gRPC probe does. */
final class Serving {

    private Serving() {
    }

    static ServingStatus status() {
        return HealthGrpc.newBlockingStub(Clients.CHANNEL).check(HealthCheckRequest.newBuilder().setService("").build())
                .getStatus();
    }

    static void await() throws InterruptedException {
        long deadline = System.currentTimeMillis() + 120_000;
        while (status() != ServingStatus.SERVING) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("inference-service never reported SERVING");
            }
            Thread.sleep(50);
        }
    }
}
