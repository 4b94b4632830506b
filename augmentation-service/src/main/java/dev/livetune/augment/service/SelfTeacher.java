package dev.livetune.augment.service;

import dev.livetune.api.auth.CallerTokens;
import dev.livetune.api.inference.v1.ChatMessage;
import dev.livetune.api.inference.v1.ChatPrompt;
import dev.livetune.api.inference.v1.GenerateRequest;
import dev.livetune.api.inference.v1.InferenceGrpc;
import dev.livetune.api.inference.v1.SamplingParams;
import dev.livetune.augment.PromptedTeacher;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The {@code self} teacher, as in the paper: the tenant's own model (the live version of the alias
 * being taught, through inference-service) writes the training data it will learn from.
 */
final class SelfTeacher extends PromptedTeacher {

    private final InferenceGrpc.InferenceBlockingStub inference;
    private final String adapter;
    private final int maxTokens;
    private final Duration timeout;

    /**
     * @param adapter     {@code tenant/alias}
     * @param callerToken the task's token for Generate (its tenant's only), or null where Generate needs none
     */
    SelfTeacher(InferenceGrpc.InferenceBlockingStub inference, String adapter, String callerToken, int maxTokens,
            Duration timeout) {
        if (callerToken != null) {
            Metadata md = new Metadata();
            md.put(Metadata.Key.of(CallerTokens.HEADER, Metadata.ASCII_STRING_MARSHALLER), callerToken);
            inference = inference.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
        }
        this.inference = inference;
        this.adapter = adapter;
        this.maxTokens = maxTokens;
        this.timeout = timeout;
    }

    @Override
    public String name() {
        return "self";
    }

    @Override
    protected String complete(String system, String user) throws IOException {
        GenerateRequest request = GenerateRequest.newBuilder().setAdapter(adapter)
                .setChat(ChatPrompt.newBuilder()
                        .addMessages(ChatMessage.newBuilder().setRole("system").setContent(system))
                        .addMessages(ChatMessage.newBuilder().setRole("user").setContent(user)))
                .setSampling(SamplingParams.newBuilder().setMaxTokens(maxTokens).setTemperature(0.7f).setTopP(0.95f))
                .build();
        StringBuilder text = new StringBuilder();
        try {
            inference.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS).generate(request)
                    .forEachRemaining(chunk -> text.append(chunk.getText()));
        } catch (StatusRuntimeException e) {
            throw new IOException("inference-service: " + e.getStatus().getCode() + " " + e.getStatus().getDescription(), e);
        }
        return text.toString();
    }
}
