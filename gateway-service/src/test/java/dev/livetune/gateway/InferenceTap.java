package dev.livetune.gateway;

import dev.livetune.api.inference.v1.GenerateRequest;
import dev.livetune.api.inference.v1.InferenceGrpc;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.HandlerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A transparent gRPC proxy between the gateway and the real inference-service, so tests can read the
 * {@code GenerateRequest}s inference receives. Every call, of every service, is forwarded byte for
 * byte with its metadata, status and cancellation (after grpc-java's {@code GrpcProxy} example).
 */
final class InferenceTap implements AutoCloseable {

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private final ManagedChannel upstream;
    private final Server server;
    private final List<GenerateRequest> generates = new CopyOnWriteArrayList<>();
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    /** Generate calls with this max_tokens are relayed slowly (5 ms a chunk): a test's client can hang up mid-answer. */
    volatile int slowMaxTokens = -1;

    /** One Generate call as the tap saw it: chunks relayed, whether the gateway cancelled it, how it closed. */
    static final class Call {
        final AtomicInteger chunks = new AtomicInteger();
        volatile GenerateRequest request;
        /** The caller token the gateway sent (CallerTokens.HEADER), or null. */
        volatile String callerToken;
        volatile boolean cancelledByGateway;
        volatile Status closed;
    }

    /** Listens on {@code port} and forwards to inference on localhost:{@code upstreamPort}. */
    InferenceTap(int port, int upstreamPort) throws IOException {
        upstream = ManagedChannelBuilder.forAddress("localhost", upstreamPort).usePlaintext().build();
        server = ServerBuilder.forPort(port).fallbackHandlerRegistry(new HandlerRegistry() {
            @Override
            public ServerMethodDefinition<?, ?> lookupMethod(String method, String authority) {
                MethodDescriptor<byte[], byte[]> descriptor = MethodDescriptor.newBuilder(BYTES, BYTES)
                        .setFullMethodName(method).setType(MethodDescriptor.MethodType.UNKNOWN).build();
                return ServerMethodDefinition.create(descriptor, new Forward(descriptor));
            }
        }).build().start();
    }

    /** @return every Generate call through the tap, oldest first */
    List<Call> calls() {
        return List.copyOf(calls);
    }

    /** @return every Generate request inference received through the tap, oldest first */
    List<GenerateRequest> generates() {
        return List.copyOf(generates);
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        upstream.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private final class Forward implements ServerCallHandler<byte[], byte[]> {
        private final MethodDescriptor<byte[], byte[]> descriptor;

        Forward(MethodDescriptor<byte[], byte[]> descriptor) {
            this.descriptor = descriptor;
        }

        @Override
        public ServerCall.Listener<byte[]> startCall(ServerCall<byte[], byte[]> serverCall, Metadata headers) {
            ClientCall<byte[], byte[]> clientCall = upstream.newCall(descriptor, CallOptions.DEFAULT);
            boolean generate = descriptor.getFullMethodName().equals(InferenceGrpc.getGenerateMethod().getFullMethodName());
            Call seen = new Call();
            if (generate) {
                seen.callerToken = headers.get(Metadata.Key.of(dev.livetune.api.auth.CallerTokens.HEADER,
                        Metadata.ASCII_STRING_MARSHALLER));
                calls.add(seen);
            }
            clientCall.start(new ClientCall.Listener<>() {
                @Override
                public void onHeaders(Metadata h) {
                    serverCall.sendHeaders(h);
                }

                @Override
                public void onMessage(byte[] message) {
                    seen.chunks.incrementAndGet();
                    if (seen.request != null && seen.request.getSampling().getMaxTokens() == slowMaxTokens) {
                        try {
                            Thread.sleep(5);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    serverCall.sendMessage(message);
                    clientCall.request(1);
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                    seen.closed = status;
                    try {
                        serverCall.close(status, trailers);
                    } catch (IllegalStateException alreadyCancelled) {
                        // the gateway cancelled first
                    }
                }
            }, headers);
            clientCall.request(1);
            serverCall.request(1);
            return new ServerCall.Listener<>() {
                @Override
                public void onMessage(byte[] message) {
                    if (generate) {
                        seen.request = parse(message);
                        generates.add(seen.request);
                    }
                    clientCall.sendMessage(message);
                    serverCall.request(1);
                }

                @Override
                public void onHalfClose() {
                    clientCall.halfClose();
                }

                @Override
                public void onCancel() {
                    seen.cancelledByGateway = true;
                    clientCall.cancel("the client cancelled", null);
                }
            };
        }
    }

    private static GenerateRequest parse(byte[] message) {
        return ProtoUtils.marshaller(GenerateRequest.getDefaultInstance()).parse(new ByteArrayInputStream(message));
    }
}
