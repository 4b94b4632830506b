package dev.livetune.inference;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** Lets an InferenceAdmin call through only with {@code authorization: Bearer <livetune.inference.admin-token>}. */
@ApplicationScoped
public class AdminAuth implements ServerInterceptor {

    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final InferenceConfig config;

    AdminAuth(InferenceConfig config) {
        this.config = config;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        String expected = config.adminToken().orElse("");
        String given = headers.get(AUTHORIZATION);
        if (expected.isEmpty()) {
            call.close(Status.UNAUTHENTICATED.withDescription("the admin API is disabled: set livetune.inference.admin-token"),
                    new Metadata());
            return new ServerCall.Listener<>() { };
        }
        byte[] want = ("Bearer " + expected).getBytes(StandardCharsets.UTF_8);
        byte[] got = given == null ? new byte[0] : given.getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(want, got)) {
            call.close(Status.UNAUTHENTICATED.withDescription("admin token missing or wrong"), new Metadata());
            return new ServerCall.Listener<>() { };
        }
        return next.startCall(call, headers);
    }
}
