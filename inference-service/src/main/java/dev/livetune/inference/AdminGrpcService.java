package dev.livetune.inference;

import dev.livetune.api.adapter.AdapterRef;
import dev.livetune.api.inference.v1.AdapterInfo;
import dev.livetune.api.inference.v1.InferenceAdminGrpc;
import dev.livetune.api.inference.v1.ListAdaptersRequest;
import dev.livetune.api.inference.v1.ListAdaptersResponse;
import dev.livetune.api.inference.v1.LoadAdapterRequest;
import dev.livetune.api.inference.v1.LoadAdapterResponse;
import dev.livetune.api.inference.v1.UnloadAdapterRequest;
import dev.livetune.api.inference.v1.UnloadAdapterResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.quarkus.grpc.RegisterInterceptor;
import io.smallrye.common.annotation.Blocking;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/** {@code livetune.inference.v1.InferenceAdmin}, behind {@link AdminAuth}. */
@GrpcService
@RegisterInterceptor(AdminAuth.class)
public class AdminGrpcService extends InferenceAdminGrpc.InferenceAdminImplBase {

    private final InferenceEngine engine;

    AdminGrpcService(InferenceEngine engine) {
        this.engine = engine;
    }

    @Override
    @Blocking
    public void loadAdapter(LoadAdapterRequest request, StreamObserver<LoadAdapterResponse> out) {
        answer(out, () -> {
            AdapterRef ref = version(request.getTenant(), request.getName(), request.getVersion());
            Optional<Path> path = request.getPath().isEmpty() ? Optional.empty() : Optional.of(Path.of(request.getPath()));
            Optional<String> expected = request.getExpectedSha256().isEmpty() ? Optional.empty()
                    : Optional.of(request.getExpectedSha256());
            AdapterRegistry.LoadResult r = engine.registry().load(ref, path, request.getActivate(), request.getPin(), expected);
            return LoadAdapterResponse.newBuilder().setAdapter(r.ref().toString()).setLoadSeconds(r.loadSeconds())
                    .setAlreadyResident(r.alreadyResident()).setAliasVersion(r.aliasVersion()).build();
        });
    }

    @Override
    @Blocking
    public void unloadAdapter(UnloadAdapterRequest request, StreamObserver<UnloadAdapterResponse> out) {
        answer(out, () -> {
            int running = engine.registry().unload(version(request.getTenant(), request.getName(), request.getVersion()));
            return UnloadAdapterResponse.newBuilder().setWasResident(running >= 0)
                    .setRunningRequests(Math.max(0, running)).build();
        });
    }

    @Override
    @Blocking
    public void listAdapters(ListAdaptersRequest request, StreamObserver<ListAdaptersResponse> out) {
        answer(out, () -> {
            ListAdaptersResponse.Builder b = ListAdaptersResponse.newBuilder()
                    .setMaxResident(engine.registry().maxResident()).putAllAliases(engine.registry().aliases());
            for (AdapterRegistry.Info i : engine.registry().list()) {
                b.addAdapters(AdapterInfo.newBuilder().setAdapter(i.ref().toString()).setPinned(i.pinned())
                        .setRunningRequests(i.runningRequests()).setLive(i.live()).setLastUsedUnixMs(i.lastUsed()));
            }
            return b.build();
        });
    }

    private static AdapterRef version(String tenant, String name, int version) {
        if (version < 1) {
            throw new IllegalArgumentException("version must be >= 1, got " + version);
        }
        return AdapterRef.pinned(tenant, name, version);
    }

    private <T> void answer(StreamObserver<T> out, Supplier<T> body) {
        String notReady = engine.notReadyReason();
        if (notReady != null) {
            out.onError(Status.UNAVAILABLE.withDescription(notReady).asRuntimeException());
            return;
        }
        T result;
        try {
            result = body.get();
        } catch (IllegalArgumentException e) {
            out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (AdapterException e) {
            out.onError(e.status().asRuntimeException());
            return;
        }
        out.onNext(result);
        out.onCompleted();
    }
}
