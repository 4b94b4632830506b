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
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import jakarta.inject.Singleton;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** The way to inference-service, shared by the HTTP and gRPC front doors: model names, streams, errors. */
@Singleton
public class Completions {

    private final GatewayConfig config;
    private final AdapterStore adapters;

    @GrpcClient("inference")
    InferenceGrpc.InferenceBlockingStub inference;

    Completions(GatewayConfig config, AdapterStore adapters) {
        this.config = config;
        this.adapters = adapters;
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

    /** @return the upstream request for a conversation ({@code [role, content]} pairs) */
    public static GenerateRequest request(List<String[]> messages, Integer maxTokens, Double temperature, Double topP,
            Long seed, List<String> stop, String adapter) {
        ChatPrompt.Builder prompt = ChatPrompt.newBuilder();
        for (String[] m : messages) {
            prompt.addMessages(ChatMessage.newBuilder().setRole(m[0]).setContent(m[1]));
        }
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

    /** An upstream stream whose first chunk has arrived. */
    public static final class Upstream {
        final Iterator<GenerateChunk> rest;
        final GenerateChunk first;
        final String servedBy;
        GenerateChunk last;

        Upstream(Iterator<GenerateChunk> rest, GenerateChunk first) {
            this.rest = rest;
            this.first = first;
            this.servedBy = first.getServedBy().isEmpty() ? "base" : first.getServedBy();
            this.last = first;
        }
    }

    /**
     * Starts the generation and waits for its first chunk. Retries once, only before any token, when
     * the replica was unavailable or full (the channel spreads calls over replicas). A tenant alias
     * with no live version yet serves the base model.
     */
    public Upstream open(GenerateRequest grpc, String adapter, String model) {
        for (int attempt = 0; ; attempt++) {
            try {
                Iterator<GenerateChunk> it = inference.withDeadlineAfter(config.inferenceDeadline().toMillis(),
                        TimeUnit.MILLISECONDS).generate(grpc);
                return new Upstream(it, it.next());
            } catch (StatusRuntimeException e) {
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

    public void consume(Upstream up, java.util.function.Consumer<GenerateChunk> each) {
        each.accept(up.first);
        try {
            while (up.last.getFinishReason() == FinishReason.FINISH_REASON_UNSPECIFIED && up.rest.hasNext()) {
                up.last = up.rest.next();
                each.accept(up.last);
            }
        } catch (StatusRuntimeException e) {
            throw upstream(e, "");
        }
    }

}
