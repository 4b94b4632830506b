package dev.livetune.gateway;

import dev.livetune.api.adapter.AdapterRef;
import dev.livetune.api.inference.v1.ChatMessage;
import dev.livetune.api.inference.v1.ChatPrompt;
import dev.livetune.api.inference.v1.FinishReason;
import dev.livetune.api.inference.v1.GenerateChunk;
import dev.livetune.api.inference.v1.GenerateRequest;
import dev.livetune.api.inference.v1.InferenceGrpc;
import dev.livetune.api.inference.v1.SamplingParams;
import dev.livetune.state.AdapterStore;
import dev.livetune.api.auth.CallerTokens;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.grpc.GrpcClient;
import jakarta.inject.Singleton;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** The way to inference-service, shared by the HTTP and gRPC front doors: model names, streams, errors. */
@Singleton
public class Completions {

    private static final Metadata.Key<String> CALLER = Metadata.Key.of(CallerTokens.HEADER, Metadata.ASCII_STRING_MARSHALLER);

    private final GatewayConfig config;
    private final AdapterStore adapters;

    @GrpcClient("inference")
    InferenceGrpc.InferenceBlockingStub inference;

    /** Minted per call for its tenant, when inference's Generate asks for a caller token. */
    private final Optional<CallerTokens> callerTokens;

    Completions(GatewayConfig config, AdapterStore adapters) {
        this.config = config;
        this.adapters = adapters;
        this.callerTokens = config.generateSecret().filter(s -> !s.isBlank()).map(CallerTokens::new);
    }

    /** @return the inference adapter reference for a model name ("" for the base model) */
    public String adapterFor(String tenant, String model) {
        if (model.equals(config.baseModel())) {
            return "";
        }
        AdapterRef ref;
        try {
            ref = AdapterRef.parseModel(tenant, model);
        } catch (IllegalArgumentException e) {
            throw OpenAiException.notFound("model_not_found", "the model '" + model + "' does not exist");
        }
        if (!ref.name().equals("default")
                && !adapters.hasAlias(tenant, ref.name())) {
            throw OpenAiException.notFound("model_not_found", "the model '" + model + "' does not exist");
        }
        return ref.toString();
    }

    /** @return the upstream request for a conversation and the functions offered with it */
    static GenerateRequest request(List<Message> messages, ChatTools tools, Integer maxTokens, Double temperature,
            Double topP, Long seed, List<String> stop, String adapter) {
        ChatPrompt.Builder prompt = ChatPrompt.newBuilder();
        for (Message m : messages) {
            ChatMessage.Builder b = ChatMessage.newBuilder().setRole(m.role()).setContent(m.content())
                    .addAllToolCalls(m.toolCalls());
            if (m.toolCallId() != null) {
                b.setToolCallId(m.toolCallId());
            }
            prompt.addMessages(b);
        }
        tools.into(prompt);
        SamplingParams.Builder s = SamplingParams.newBuilder().setMaxTokens(maxTokens == null ? 0 : maxTokens)
                .addAllStop(stop);
        if (temperature != null) {
            s.setTemperature(temperature.floatValue());
        }
        if (topP != null) {
            s.setTopP(topP.floatValue());
        }
        if (seed != null) {
            s.setSeed(seed);
        }
        return GenerateRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setChat(prompt).setSampling(s)
                .setAdapter(adapter).build();
    }

    /**
     * An upstream stream whose first chunk has arrived. Its call runs in a context of its own, so it can
     * be cancelled (the client gone): inference then stops generating for it.
     */
    public static final class Upstream {
        final Iterator<GenerateChunk> rest;
        final GenerateChunk first;
        final String servedBy;
        private final Context.CancellableContext call;
        GenerateChunk last;
        /** Tokens received so far; the prompt's, from the first chunk. */
        volatile int completionTokens;
        final int promptTokens;

        Upstream(Context.CancellableContext call, Iterator<GenerateChunk> rest, GenerateChunk first) {
            this.call = call;
            this.rest = rest;
            this.first = first;
            this.servedBy = first.getServedBy().isEmpty() ? "base" : first.getServedBy();
            this.last = first;
            this.promptTokens = first.getUsage().getPromptTokens();
            this.completionTokens = first.getTokenIdsCount();
        }

        /** Cancels the generation upstream (idempotent). */
        void cancel() {
            call.cancel(null);
        }
    }

    /**
     * Starts the generation and waits for its first chunk. Retries once, only before any token, when
     * the replica was unavailable or full (the channel spreads calls over replicas). A tenant alias
     * with no live version yet serves the base model.
     */
    public Upstream open(String tenant, GenerateRequest grpc, String adapter, String model) {
        InferenceGrpc.InferenceBlockingStub stub = inference;
        if (callerTokens.isPresent()) {
            Metadata md = new Metadata();
            md.put(CALLER, callerTokens.get().mint(tenant, config.inferenceDeadline().plusMinutes(1)));
            stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
        }
        for (int attempt = 0; ; attempt++) {
            // a context of its own (not the request thread's): cancelling it ends this call and nothing else
            Context.CancellableContext call = Context.ROOT.withCancellation();
            try {
                GenerateRequest request = grpc;
                InferenceGrpc.InferenceBlockingStub calling = stub;
                Iterator<GenerateChunk> it = call.call(() -> calling.withDeadlineAfter(config.inferenceDeadline().toMillis(),
                        TimeUnit.MILLISECONDS).generate(request));
                return new Upstream(call, it, it.next());
            } catch (StatusRuntimeException e) {
                call.cancel(null);
                Status.Code code = e.getStatus().getCode();
                if (code == Status.Code.NOT_FOUND && !adapter.isEmpty() && AdapterRef.parse(adapter).isAlias()) {
                    grpc = grpc.toBuilder().setAdapter("").build();
                    adapter = "";
                    continue;
                }
                if ((code == Status.Code.UNAVAILABLE || code == Status.Code.RESOURCE_EXHAUSTED) && attempt == 0) {
                    continue;
                }
                throw upstream(e, model);
            } catch (Exception e) {
                call.cancel(null);
                throw e instanceof RuntimeException re ? re : new IllegalStateException(e);
            }
        }
    }

    static OpenAiException upstream(StatusRuntimeException e, String model) {
        String why = e.getStatus().getDescription() == null ? e.getStatus().getCode().toString() : e.getStatus().getDescription();
        return switch (e.getStatus().getCode()) {
            case INVALID_ARGUMENT -> OpenAiException.invalid("messages", why);
            case NOT_FOUND -> OpenAiException.notFound("model_not_found", "the model '" + model + "' does not exist");
            case FAILED_PRECONDITION -> OpenAiException.unavailable("the model '" + model + "' cannot be served right now: " + why, 30);
            default -> OpenAiException.unavailable("the model service is busy or unavailable (" + why + "); retry later", 2);
        };
    }

    /**
     * Hands every chunk to {@code each}, to the last. When it stops early ({@code each} throws: the
     * client went away; or the upstream fails), the upstream call is cancelled, so inference does not
     * go on generating for no one.
     */
    public void consume(Upstream up, java.util.function.Consumer<GenerateChunk> each) {
        boolean ended = false;
        try {
            each.accept(up.first);
            while (up.last.getFinishReason() == FinishReason.FINISH_REASON_UNSPECIFIED && up.rest.hasNext()) {
                up.last = up.rest.next();
                up.completionTokens += up.last.getTokenIdsCount();
                each.accept(up.last);
            }
            ended = true;
        } catch (StatusRuntimeException e) {
            throw upstream(e, "");
        } finally {
            if (!ended) {
                up.cancel();
            }
        }
    }

}
