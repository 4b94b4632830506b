package dev.livetune.inference;

import dev.livetune.api.inference.v1.ChatMessage;
import dev.livetune.api.inference.v1.ChatPrompt;
import dev.livetune.api.inference.v1.GenerateChunk;
import dev.livetune.api.inference.v1.GenerateRequest;
import dev.livetune.api.inference.v1.InferenceAdminGrpc;
import dev.livetune.api.inference.v1.InferenceGrpc;
import dev.livetune.api.inference.v1.SamplingParams;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Plain grpc-java clients of the running test service, as any program would build them. */
final class Clients {

    static final ManagedChannel CHANNEL = ManagedChannelBuilder.forAddress("localhost", 9101).usePlaintext().build();

    private Clients() {
    }

    static InferenceGrpc.InferenceBlockingStub inference() {
        return InferenceGrpc.newBlockingStub(CHANNEL).withDeadlineAfter(2, TimeUnit.MINUTES);
    }

    static InferenceAdminGrpc.InferenceAdminBlockingStub admin() {
        Metadata md = new Metadata();
        md.put(AdminAuth.AUTHORIZATION, "Bearer " + ServedModel.ADMIN_TOKEN);
        return InferenceAdminGrpc.newBlockingStub(CHANNEL).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
    }

    static GenerateRequest greedy(String adapter, String question, int maxTokens) {
        return GenerateRequest.newBuilder().setAdapter(adapter)
                .setChat(ChatPrompt.newBuilder().addMessages(ChatMessage.newBuilder().setRole("user").setContent(question)))
                .setSampling(SamplingParams.newBuilder().setMaxTokens(maxTokens).setTemperature(0).setIgnoreEos(true))
                .build();
    }

    /** A whole stream. */
    record Reply(List<Integer> tokens, String text, String servedBy, GenerateChunk last, int chunks, long firstChunkNanos) {
    }

    static Reply collect(Iterator<GenerateChunk> stream) {
        List<Integer> tokens = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        String servedBy = null;
        GenerateChunk last = null;
        int chunks = 0;
        long first = 0;
        while (stream.hasNext()) {
            GenerateChunk c = stream.next();
            if (chunks == 0) {
                first = System.nanoTime();
            }
            chunks++;
            tokens.addAll(c.getTokenIdsList());
            text.append(c.getText());
            if (servedBy == null) {
                servedBy = c.getServedBy();
            } else if (!servedBy.equals(c.getServedBy())) {
                throw new AssertionError("served_by changed within a stream: " + servedBy + " then " + c.getServedBy());
            }
            last = c;
        }
        return new Reply(tokens, text.toString(), servedBy, last, chunks, first);
    }
}
