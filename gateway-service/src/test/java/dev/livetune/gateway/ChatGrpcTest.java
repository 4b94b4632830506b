package dev.livetune.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livetune.api.chat.v1.ChatChunk;
import dev.livetune.api.chat.v1.ChatGrpc;
import dev.livetune.api.chat.v1.ChatRequest;
import dev.livetune.api.chat.v1.LearnJobEvent;
import dev.livetune.api.chat.v1.ListAdaptersRequest;
import dev.livetune.api.chat.v1.RollbackRequest;
import dev.livetune.api.chat.v1.WatchLearnJobRequest;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The gateway's gRPC Chat API: stateful sessions, [Learn], watching a job, adapters, auth. */
@QuarkusTest
@QuarkusTestResource(GatewayStack.class)
class ChatGrpcTest {

    private static final ManagedChannel CHANNEL = ManagedChannelBuilder.forAddress("localhost", 9181).usePlaintext().build();

    static ChatGrpc.ChatBlockingStub as(String key) {
        Metadata md = new Metadata();
        md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
        return ChatGrpc.newBlockingStub(CHANNEL).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
    }

    private static List<ChatChunk> chat(ChatGrpc.ChatBlockingStub stub, String session, String message) {
        List<ChatChunk> out = new ArrayList<>();
        stub.chat(ChatRequest.newBuilder().setSessionId(session).setModel("livetune-base").setMessage(message)
                .setMaxTokens(6).setTemperature(0).build()).forEachRemaining(out::add);
        return out;
    }

    @Test
    void sessionsCarryTheConversationAcrossCalls() {
        var stub = as(Keys.keyFor(Keys.tenant()));
        List<ChatChunk> first = chat(stub, "conv-1", "Hello!");
        ChatChunk end1 = first.get(first.size() - 1);
        assertThat(end1.getFinishReason()).isIn("stop", "length");
        assertThat(end1.getServedBy()).isEqualTo("base");
        List<ChatChunk> second = chat(stub, "conv-1", "Hello!");
        ChatChunk end2 = second.get(second.size() - 1);
        // The second turn's prompt holds the first turn and its reply.
        assertThat(end2.getPromptTokens()).isGreaterThan(2 * end1.getPromptTokens() - 5);
        List<ChatChunk> fresh = chat(stub, "conv-2", "Hello!");
        assertThat(fresh.get(fresh.size() - 1).getPromptTokens()).isEqualTo(end1.getPromptTokens());
    }

    @Test
    void learnThroughChatThenWatchTheJob() throws Exception {
        var stub = as(Keys.keyFor(Keys.tenant()));
        Iterator<ChatChunk> it = stub.chat(ChatRequest.newBuilder().setSessionId("s").setMessage("[Learn] Zorbania's capital is Quillport.").build());
        ChatChunk c = it.next();
        assertThat(c.getLearnJobId()).startsWith("ftjob-");
        assertThat(c.getServedBy()).isEqualTo("learn");
        Context.CancellableContext ctx = Context.current().withCancellation();
        try {
            Iterator<LearnJobEvent> events = ctx.call(() -> stub.watchLearnJob(
                    WatchLearnJobRequest.newBuilder().setJobId(c.getLearnJobId()).build()));
            LearnJobEvent e = events.next();
            assertThat(e.getStatus()).isEqualTo("queued");
            assertThat(e.getMessage()).contains("queued");
        } finally {
            ctx.cancel(null);
        }
    }

    @Test
    void adaptersAuthAndErrors() {
        String key = Keys.keyFor(Keys.tenant());
        var adapters = as(key).listAdapters(ListAdaptersRequest.getDefaultInstance());
        assertThat(adapters.getBaseModel()).isEqualTo("livetune-base");
        assertThat(adapters.getAdaptersList()).extracting(a -> a.getAlias()).containsExactly("default");
        assertThat(adapters.getAdapters(0).getLiveVersion()).isZero();
        assertThat(code(() -> as("lt-0000000000000000-" + "x".repeat(43)).listAdapters(ListAdaptersRequest.getDefaultInstance())))
                .isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(code(() -> ChatGrpc.newBlockingStub(CHANNEL).listAdapters(ListAdaptersRequest.getDefaultInstance())))
                .isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(code(() -> as(key).rollback(RollbackRequest.newBuilder().setModel("default").setVersion(3).build())))
                .isEqualTo(Status.Code.NOT_FOUND);
        assertThat(code(() -> as(key).chat(ChatRequest.newBuilder().setMessage("hi").build()).next()))
                .isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(code(() -> as(key).watchLearnJob(WatchLearnJobRequest.newBuilder().setJobId("ftjob-nope").build()).next()))
                .isEqualTo(Status.Code.NOT_FOUND);
    }

    private static Status.Code code(Runnable r) {
        try {
            r.run();
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
        throw new AssertionError("the call succeeded");
    }

    /** Server reflection is on, so grpcurl and other tools find the Chat API without its proto files, and with no key. */
    @Test
    void theChatApiIsDiscoverableByReflection() throws Exception {
        java.util.concurrent.CompletableFuture<io.grpc.reflection.v1.ServerReflectionResponse> answer = new java.util.concurrent.CompletableFuture<>();
        io.grpc.stub.StreamObserver<io.grpc.reflection.v1.ServerReflectionRequest> ask = io.grpc.reflection.v1.ServerReflectionGrpc
                .newStub(CHANNEL).serverReflectionInfo(new io.grpc.stub.StreamObserver<>() {
                    @Override
                    public void onNext(io.grpc.reflection.v1.ServerReflectionResponse r) {
                        answer.complete(r);
                    }

                    @Override
                    public void onError(Throwable t) {
                        answer.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        ask.onNext(io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices("*").build());
        List<String> services = answer.get(30, java.util.concurrent.TimeUnit.SECONDS).getListServicesResponse().getServiceList()
                .stream().map(io.grpc.reflection.v1.ServiceResponse::getName).toList();
        ask.onCompleted();
        assertThat(services).contains("livetune.chat.v1.Chat");
    }

    private static final String PARAMETERS = "{\"type\": \"object\", \"properties\": {\"c\": {\"type\": \"string\"}}}";

    @Test
    void toolsAndTheirResultsTravelThroughTheSession() {
        String key = Keys.keyFor(Keys.tenant());
        // a session whose history holds a call, recorded by the HTTP API (the same sessions)
        io.restassured.RestAssured.given().header("Authorization", "Bearer " + key).header("X-Session-Id", "tools-1")
                .contentType("application/json").body("{\"model\": \"livetune-base\", \"max_tokens\": 2, \"messages\":"
                        + " [{\"role\": \"user\", \"content\": \"c?\"}, {\"role\": \"assistant\", \"content\": null,"
                        + " \"tool_calls\": [{\"id\": \"call_1\", \"type\": \"function\", \"function\": {\"name\": \"w\","
                        + " \"arguments\": \"{}\"}}]}, {\"role\": \"tool\", \"tool_call_id\": \"call_1\", \"content\": \"3\"},"
                        + " {\"role\": \"user\", \"content\": \"again?\"}]}")
                .post("/v1/chat/completions").then().statusCode(200);
        var stub = as(key);
        var tool = dev.livetune.api.chat.v1.Tool.newBuilder().setName("w").setParameters(PARAMETERS).build();
        List<ChatChunk> answered = new ArrayList<>();
        stub.chat(ChatRequest.newBuilder().setSessionId("tools-1").setModel("livetune-base").addTools(tool)
                .addToolResults(dev.livetune.api.chat.v1.ToolResult.newBuilder().setToolCallId("call_1").setContent("4"))
                .setMaxTokens(3).setTemperature(0).build()).forEachRemaining(answered::add);
        assertThat(answered.get(answered.size() - 1).getFinishReason()).isIn("stop", "length");

        StatusRuntimeException unanswered = org.assertj.core.api.Assertions.catchThrowableOfType(StatusRuntimeException.class,
                () -> stub.chat(ChatRequest.newBuilder().setSessionId("tools-1").addToolResults(
                        dev.livetune.api.chat.v1.ToolResult.newBuilder().setToolCallId("call_9").setContent("4")).build()).next());
        assertThat(unanswered.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(unanswered.getStatus().getDescription()).contains("'call_9' answers no call of this session");

        StatusRuntimeException badSchema = org.assertj.core.api.Assertions.catchThrowableOfType(StatusRuntimeException.class,
                () -> stub.chat(ChatRequest.newBuilder().setSessionId("tools-2").setMessage("hi")
                        .addTools(tool.toBuilder().setParameters("{\"type\": 3}")).build()).next());
        assertThat(badSchema.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(badSchema.getStatus().getDescription()).contains("not a valid JSON Schema");

        StatusRuntimeException unknown = org.assertj.core.api.Assertions.catchThrowableOfType(StatusRuntimeException.class,
                () -> stub.chat(ChatRequest.newBuilder().setSessionId("tools-2").setMessage("hi").addTools(tool)
                        .setToolChoice("v").build()).next());
        assertThat(unknown.getStatus().getDescription()).contains("'v', which is not one of 'tools'");

        // a call the model does not write validly (random weights) is its text
        List<ChatChunk> forced = new ArrayList<>();
        stub.chat(ChatRequest.newBuilder().setSessionId("tools-3").setModel("livetune-base").setMessage("hi").addTools(tool)
                .setToolChoice("w").setMaxTokens(4).setTemperature(0).build()).forEachRemaining(forced::add);
        StringBuilder text = new StringBuilder();
        forced.forEach(c -> text.append(c.getText()));
        assertThat(text.toString()).startsWith("<tool_call>\n{\"name\": \"w\", \"arguments\": ");
        assertThat(forced.get(forced.size() - 1).getToolCallsList()).isEmpty();
    }
}
