package dev.livetune.inference;

import dev.livetune.api.auth.CallerTokens;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Who calls {@code Generate}: with {@code livetune.inference.generate-secret} set, every call carries a
 * caller token ({@link CallerTokens#HEADER}) and the tenant it speaks for goes into the call's context
 * ({@link #TENANT}), which {@link InferenceGrpcService} holds the requested adapter to. A call without a
 * valid token is refused, UNAUTHENTICATED.
 */
@ApplicationScoped
public class GenerateAuth implements ServerInterceptor {

    /** The calling tenant; absent when Generate is open (no secret configured). */
    static final Context.Key<String> TENANT = Context.key("livetune-caller-tenant");

    private static final Logger LOG = Logger.getLogger(GenerateAuth.class);
    private static final Metadata.Key<String> HEADER = Metadata.Key.of(CallerTokens.HEADER, Metadata.ASCII_STRING_MARSHALLER);

    private final Optional<CallerTokens> tokens;

    GenerateAuth(InferenceConfig config) {
        this.tokens = config.generateSecret().filter(s -> !s.isBlank()).map(CallerTokens::new);
    }

    void warn(@Observes StartupEvent event) {
        if (tokens.isEmpty()) {
            LOG.warn("Generate is open to any caller, with any tenant's adapters: set livetune.inference.generate-secret"
                    + " (and the same secret on the gateway and the orchestrator)");
        }
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (tokens.isEmpty()) {
            return next.startCall(call, headers);
        }
        String tenant;
        try {
            tenant = tokens.get().verify(headers.get(HEADER));
        } catch (IllegalArgumentException e) {
            call.close(Status.UNAUTHENTICATED.withDescription(e.getMessage()), new Metadata());
            return new ServerCall.Listener<>() { };
        }
        return Contexts.interceptCall(Context.current().withValue(TENANT, tenant), call, headers, next);
    }
}
