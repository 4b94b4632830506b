package dev.livetune.orchestrator;

import dev.livetune.api.inference.v1.InferenceAdminGrpc;
import dev.livetune.api.inference.v1.LoadAdapterRequest;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.grpc.GrpcClient;
import jakarta.enterprise.inject.Typed;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

/**
 * Releases a version on inference-service through its admin API: load (sha256-verified, warmed)
 * and switch the alias. The version reads from the same artifact store. In a cluster the operator's
 * AdapterRelease does this on every replica instead.
 */
@Singleton
@Typed(InferenceReleaser.class)
public class InferenceReleaser implements AdapterReleaser {

    private static final Duration RELEASE_DEADLINE = Duration.ofMinutes(2);

    private final OrchestratorConfig config;

    @GrpcClient("inference")
    InferenceAdminGrpc.InferenceAdminBlockingStub admin;

    @GrpcClient("inference")
    HealthGrpc.HealthBlockingStub health;

    InferenceReleaser(OrchestratorConfig config) {
        this.config = config;
    }

    /**
     * Loads and activates the version; while inference answers UNAVAILABLE (restarting: not serving
     * yet, or still loading its model) it waits for the replica to report SERVING and tries again,
     * for up to two minutes.
     *
     * @throws JobFailure when inference refuses the version or cannot be reached
     */
    @Override
    public void release(String tenant, String alias, int version) {
        Metadata md = new Metadata();
        md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
                "Bearer " + config.inferenceAdminToken().orElseThrow(() -> new JobFailure(
                        "cannot release: livetune.orchestrator.inference-admin-token is not set")));
        long deadline = System.nanoTime() + RELEASE_DEADLINE.toNanos();
        int attempts = 0;
        for (;;) {
            try {
                // waitForReady: a connection being re-established (inference busy, a reconnect backoff) is
                // waited for within the deadline instead of failing the release at once with UNAVAILABLE
                admin.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md))
                        .withDeadlineAfter(deadline - System.nanoTime(), TimeUnit.NANOSECONDS).withWaitForReady()
                        .loadAdapter(LoadAdapterRequest.newBuilder().setTenant(tenant).setName(alias).setVersion(version)
                                .setActivate(true).build());
                return;
            } catch (StatusRuntimeException e) {
                // UNAVAILABLE from a replica that is up: it is still loading its model after a restart
                if (e.getStatus().getCode() == Status.Code.UNAVAILABLE && attempts++ < 10 && deadline - System.nanoTime() > 0) {
                    awaitServing(deadline);
                    continue;
                }
                throw new JobFailure("inference-service did not take " + tenant + "/" + alias + "@v" + version + ": "
                        + e.getStatus().getCode() + " " + e.getStatus().getDescription(), e);
            }
        }
    }

    /**
     * Waits (health {@code Watch}, woken by the replica's own report) until inference-service says
     * SERVING, or the deadline passes; the release is then tried again, and fails if it is too late.
     */
    private void awaitServing(long deadline) {
        // the watch is a stream: cancelling its context ends it once SERVING is seen
        Context.CancellableContext watching = Context.current().withCancellation();
        try {
            Iterator<HealthCheckResponse> statuses = watching.call(() -> health
                    .withDeadlineAfter(deadline - System.nanoTime(), TimeUnit.NANOSECONDS).withWaitForReady()
                    .watch(HealthCheckRequest.getDefaultInstance()));
            while (statuses.hasNext() && statuses.next().getStatus() != HealthCheckResponse.ServingStatus.SERVING) {
                // NOT_SERVING: loading; the next status comes when it changes
            }
        } catch (StatusRuntimeException e) {
            // past the deadline, or the replica went away again: the next LoadAdapter says which
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            watching.cancel(null);
        }
    }
}
