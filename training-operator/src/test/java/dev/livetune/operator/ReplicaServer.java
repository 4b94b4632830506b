package dev.livetune.operator;

import dev.livetune.api.inference.v1.AdapterInfo;
import dev.livetune.api.inference.v1.InferenceAdminGrpc;
import dev.livetune.api.inference.v1.ListAdaptersRequest;
import dev.livetune.api.inference.v1.ListAdaptersResponse;
import dev.livetune.api.inference.v1.LoadAdapterRequest;
import dev.livetune.api.inference.v1.LoadAdapterResponse;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An inference replica's admin API as a real gRPC server on a local port: it keeps what is loaded and
 * where each alias points, the way inference-service's registry does (a load changes nothing until it
 * succeeds; activate switches the alias), and can be told to refuse loads, as a replica whose store
 * copy is corrupt would. It stands in for inference-service, which needs a model to start.
 */
final class ReplicaServer implements AutoCloseable {

    final Set<String> loaded = ConcurrentHashMap.newKeySet();
    /** The weights' sha256 each load asked for ("" when it named none), in order. */
    final java.util.List<String> shas = new java.util.concurrent.CopyOnWriteArrayList<>();
    final Map<String, String> aliases = new ConcurrentHashMap<>();
    volatile String refuse;
    volatile String authorization;
    private final Server server;

    ReplicaServer() throws IOException {
        ServerInterceptor recordAuthorization = new ServerInterceptor() {
            @Override
            public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
                authorization = headers.get(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER));
                return next.startCall(call, headers);
            }
        };
        server = ServerBuilder.forPort(0).addService(ServerInterceptors.intercept(new InferenceAdminGrpc.InferenceAdminImplBase() {
            @Override
            public void loadAdapter(LoadAdapterRequest r, StreamObserver<LoadAdapterResponse> out) {
                String alias = r.getTenant() + "/" + r.getName();
                String version = alias + "@v" + r.getVersion();
                if (refuse != null) {
                    out.onError(Status.FAILED_PRECONDITION.withDescription(refuse).asRuntimeException());
                    return;
                }
                shas.add(r.getExpectedSha256());
                boolean already = !loaded.add(version);
                if (r.getActivate()) {
                    aliases.put(alias, version);
                }
                out.onNext(LoadAdapterResponse.newBuilder().setAdapter(version).setAlreadyResident(already)
                        .setAliasVersion(aliases.getOrDefault(alias, "")).build());
                out.onCompleted();
            }

            @Override
            public void listAdapters(ListAdaptersRequest r, StreamObserver<ListAdaptersResponse> out) {
                ListAdaptersResponse.Builder b = ListAdaptersResponse.newBuilder().putAllAliases(aliases);
                loaded.forEach(v -> b.addAdapters(AdapterInfo.newBuilder().setAdapter(v).setLive(aliases.containsValue(v))));
                out.onNext(b.build());
                out.onCompleted();
            }
        }, recordAuthorization)).build().start();
    }

    int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
