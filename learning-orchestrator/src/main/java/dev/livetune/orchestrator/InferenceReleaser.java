package dev.livetune.orchestrator;

import dev.livetune.api.inference.v1.InferenceAdminGrpc;
import dev.livetune.api.inference.v1.LoadAdapterRequest;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.grpc.GrpcClient;
import jakarta.enterprise.inject.Typed;
import jakarta.inject.Singleton;
import java.util.concurrent.TimeUnit;

/**
 * Releases a version on inference-service through its admin API: load (sha256-verified, warmed)
 * and switch the alias. The version reads from the same artifact store. In a cluster the operator's
 * AdapterRelease does this on every replica instead.
 */
@Singleton
@Typed(InferenceReleaser.class)
public class InferenceReleaser implements AdapterReleaser {

    private final OrchestratorConfig config;

    @GrpcClient("inference")
    InferenceAdminGrpc.InferenceAdminBlockingStub admin;

    InferenceReleaser(OrchestratorConfig config) {
        this.config = config;
    }

    /** @throws JobFailure when inference refuses the version or cannot be reached */
    @Override
    public void release(String tenant, String alias, int version) {
        Metadata md = new Metadata();
        md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
                "Bearer " + config.inferenceAdminToken().orElseThrow(() -> new JobFailure(
                        "cannot release: livetune.orchestrator.inference-admin-token is not set")));
        try {
            // waitForReady: a connection being re-established (inference busy, a reconnect backoff) is
            // waited for within the deadline instead of failing the release at once with UNAVAILABLE
            admin.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md)).withDeadlineAfter(2, TimeUnit.MINUTES)
                    .withWaitForReady().loadAdapter(LoadAdapterRequest.newBuilder().setTenant(tenant).setName(alias).setVersion(version)
                            .setActivate(true).build());
        } catch (StatusRuntimeException e) {
            throw new JobFailure("inference-service did not take " + tenant + "/" + alias + "@v" + version + ": "
                    + e.getStatus().getCode() + " " + e.getStatus().getDescription(), e);
        }
    }
}
