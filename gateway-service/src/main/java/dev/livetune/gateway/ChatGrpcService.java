package dev.livetune.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.chat.v1.AdapterVersions;
import dev.livetune.api.chat.v1.ChatChunk;
import dev.livetune.api.chat.v1.ChatGrpc;
import dev.livetune.api.chat.v1.ChatRequest;
import dev.livetune.api.chat.v1.LearnJobEvent;
import dev.livetune.api.chat.v1.LearnRequest;
import dev.livetune.api.chat.v1.LearnResponse;
import dev.livetune.api.chat.v1.ListAdaptersRequest;
import dev.livetune.api.chat.v1.ListAdaptersResponse;
import dev.livetune.api.chat.v1.RollbackRequest;
import dev.livetune.api.chat.v1.RollbackResponse;
import dev.livetune.api.chat.v1.WatchLearnJobRequest;
import dev.livetune.broker.Wakeups;
import dev.livetune.state.AdapterStore;
import dev.livetune.state.FileIndex;
import dev.livetune.state.JobStore;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.quarkus.grpc.RegisterInterceptor;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code livetune.chat.v1.Chat}: the gateway's stateful gRPC API, with the same rules as HTTP. */
@GrpcService
@RegisterInterceptor(ChatGrpcService.Authorization.class)
public class ChatGrpcService extends ChatGrpc.ChatImplBase {

    static final Context.Key<String> AUTHORIZATION = Context.key("authorization");
    private static final Metadata.Key<String> HEADER = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final Set<String> TERMINAL = Set.of("succeeded", "failed", "cancelled");

    /** Carries the {@code authorization} metadata into the call's context (checked in the method, off the event loop). */
    @ApplicationScoped
    public static class Authorization implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                ServerCallHandler<Q, R> next) {
            String value = headers.get(HEADER);
            return Contexts.interceptCall(Context.current().withValue(AUTHORIZATION, value), call, headers, next);
        }
    }

    private final Auth auth;
    private final Sessions sessions;
    private final Learning learning;
    private final ChatFlow flow;
    private final JobStore jobs;
    private final AdapterStore adapters;
    private final FileIndex files;
    private final GatewayConfig config;
    private final JobWatch watch;
    private final Streams streams;
    private final ObjectMapper json = new ObjectMapper();

    ChatGrpcService(Auth auth, Sessions sessions, Learning learning, ChatFlow flow,
            JobStore jobs, AdapterStore adapters, FileIndex files, GatewayConfig config, JobWatch watch, Streams streams) {
        this.auth = auth;
        this.streams = streams;
        this.watch = watch;
        this.sessions = sessions;
        this.learning = learning;
        this.flow = flow;
        this.jobs = jobs;
        this.adapters = adapters;
        this.files = files;
        this.config = config;
    }

    private String tenant() {
        return auth.tenant(AUTHORIZATION.get());
    }

    @Override
    @Blocking
    public void chat(ChatRequest request, StreamObserver<ChatChunk> out) {
        ServerCallStreamObserver<ChatChunk> call = (ServerCallStreamObserver<ChatChunk>) out;
        run(out, () -> {
            ApiKeys.Holder holder = auth.holder(AUTHORIZATION.get());
            String tenant = holder.tenant();
            if (request.getSessionId().isEmpty()) {
                throw OpenAiException.invalid("session_id", "session_id is required: the Chat API is stateful");
            }
            String session = Sessions.validId(request.getSessionId());
            if (request.getMessage().isBlank() && request.getToolResultsCount() == 0) {
                throw OpenAiException.invalid("message", "message is empty");
            }
            ChatTools tools = ChatTools.of(request.getToolsList(), request.getToolChoice(),
                    request.hasParallelToolCalls() ? request.getParallelToolCalls() : null);
            if (request.getMaxTokens() < 0 || request.getMaxTokens() > config.maxTokensLimit()) {
                throw OpenAiException.invalid("max_tokens", "max_tokens must be from 0 to " + config.maxTokensLimit());
            }
            String model = request.getModel().isEmpty() ? "default" : request.getModel();
            // the model sees the session's history and the new message; the flow records both turns
            List<Message> messages = new ArrayList<>(sessions.history(tenant, session));
            Set<String> calls = ChatTools.callIds(messages);
            for (int i = 0; i < request.getToolResultsCount(); i++) {
                var result = request.getToolResults(i);
                if (!calls.contains(result.getToolCallId())) {
                    throw OpenAiException.invalid("tool_results[" + i + "].tool_call_id", "tool_results[" + i
                            + "].tool_call_id '" + result.getToolCallId() + "' answers no call of this session");
                }
                messages.add(new Message("tool", result.getContent(), List.of(), result.getToolCallId()));
            }
            if (!request.getMessage().isBlank()) {
                messages.add(Message.of("user", request.getMessage()));
            }
            try (Streams.Slot slot = streams.open(tenant)) {
                chat(tenant, session, model, messages, tools, request, call, holder.mayTeach());
            }
            return null;
        });
    }

    /**
     * One answer of the Chat API: a learn job started, or the generation streamed to {@code out}. A
     * client that cancels mid-answer is noticed at the next token (this method holds the call's
     * thread, so a cancel handler would only run after it): the generation is cancelled upstream and
     * what it generated is charged.
     */
    private void chat(String tenant, String session, String model, List<Message> messages, ChatTools tools,
            ChatRequest request, ServerCallStreamObserver<ChatChunk> out, boolean mayTeach) {
        ChatFlow.Answer answer = flow.start(new ChatFlow.Turn(tenant, session, model, messages, tools, "message",
                request.getMaxTokens() == 0 ? null : request.getMaxTokens(),
                request.hasTemperature() ? (double) request.getTemperature() : null,
                request.hasTopP() ? (double) request.getTopP() : null, request.hasSeed() ? request.getSeed() : null,
                request.getStopList(), mayTeach));
        if (answer instanceof ChatFlow.LearnStarted learn) {
            out.onNext(ChatChunk.newBuilder().setText(learn.reply()).setServedBy("learn").setFinishReason("stop")
                    .setLearnJobId(learn.jobId()).build());
            return;
        }
        ChatFlow.Generation g = (ChatFlow.Generation) answer;
        g.stream(p -> {
            if (out.isCancelled()) {
                throw new ChatFlow.ClientGone();
            }
            ChatChunk.Builder b = ChatChunk.newBuilder().setText(p.text()).setServedBy(g.servedBy());
            if (p.finishReason() != null) {
                b.setFinishReason(p.finishReason()).setPromptTokens(p.promptTokens()).setCompletionTokens(p.completionTokens());
            }
            for (var c : p.toolCalls()) {
                b.addToolCalls(dev.livetune.api.chat.v1.ToolCall.newBuilder().setId(c.getId()).setName(c.getName())
                        .setArguments(c.getArguments()));
            }
            out.onNext(b.build());
        });
    }

    @Override
    @Blocking
    public void learn(LearnRequest request, StreamObserver<LearnResponse> out) {
        run(out, () -> {
            String tenant = auth.teacher(AUTHORIZATION.get());
            String alias = alias(tenant, request.getModel().isEmpty() ? "default" : request.getModel());
            String mode = request.getMode().isEmpty() ? "auto" : request.getMode();
            if (!Set.of("auto", "instruction", "web", "doc", "forget").contains(mode)) {
                throw OpenAiException.invalid("mode", "mode must be auto, instruction, web, doc or forget");
            }
            if (mode.equals("doc") ? request.getFileIdsCount() == 0 : request.getText().isBlank()) {
                throw OpenAiException.invalid(mode.equals("doc") ? "file_ids" : "text", "nothing to learn");
            }
            for (String f : request.getFileIdsList()) {
                Map<String, String> file = files.get(f);
                if (file == null || !tenant.equals(file.get("tenant"))) {
                    throw OpenAiException.notFound("file_not_found", "no such file: " + f);
                }
            }
            var r = learning.start(tenant, alias, mode, request.getText().strip(), request.getFileIdsList(), null, List.of());
            out.onNext(LearnResponse.newBuilder().setJobId(r.jobId()).build());
            return null;
        });
    }

    @Override
    @Blocking
    public void watchLearnJob(WatchLearnJobRequest request, StreamObserver<LearnJobEvent> out) {
        ServerCallStreamObserver<LearnJobEvent> call = (ServerCallStreamObserver<LearnJobEvent>) out;
        run(out, () -> {
            String tenant = tenant();
            String id = request.getJobId();
            int sent = 0;
            long deadline = System.currentTimeMillis() + 6 * 3600_000L;
            Map<String, String> owned = jobs.get(id);
            if (owned == null || owned.isEmpty() || !tenant.equals(owned.get("tenant"))) {
                throw OpenAiException.notFound("job_not_found", "no such learn job: " + id);
            }
            try (Streams.Slot slot = streams.open(tenant); Wakeups.Watch w = watch.watch(id)) {
                while (!call.isCancelled() && System.currentTimeMillis() < deadline) {
                    long mark = w.mark();
                    Map<String, String> job = jobs.get(id);
                    List<String> events = jobs.events(id, sent);
                    for (String e : events) {
                        JsonNode n = json.readTree(e);
                        out.onNext(LearnJobEvent.newBuilder().setJobId(id).setStatus(job.get("status"))
                                .setMessage(n.path("message").asText()).setCreatedAt(n.path("created_at").asLong())
                                .setFineTunedModel(job.getOrDefault("fine_tuned_model", "")).build());
                        sent++;
                    }
                    if (TERMINAL.contains(job.get("status"))) {
                        return null;
                    }
                    watch.await(w, mark, java.time.Duration.ofSeconds(15));
                }
            }
            return null;
        });
    }

    @Override
    @Blocking
    public void listAdapters(ListAdaptersRequest request, StreamObserver<ListAdaptersResponse> out) {
        run(out, () -> {
            String tenant = tenant();
            ListAdaptersResponse.Builder b = ListAdaptersResponse.newBuilder().setBaseModel(config.baseModel());
            java.util.TreeSet<String> aliases = new java.util.TreeSet<>(adapters.aliases(tenant));
            aliases.add("default");
            for (String alias : aliases) {
                AdapterVersions.Builder a = AdapterVersions.newBuilder().setAlias(alias);
                adapters.versions(tenant, alias).forEach(a::addVersions);
                a.setLiveVersion(adapters.live(tenant, alias).orElse(0));
                b.addAdapters(a);
            }
            out.onNext(b.build());
            return null;
        });
    }

    /**
     * Starts a {@code rollback} job and answers when it ends: the orchestrator makes the version live
     * through its releaser (inference's admin API standalone, the AdapterRelease in a cluster), after
     * any job of the adapter already queued.
     */
    @Override
    @Blocking
    public void rollback(RollbackRequest request, StreamObserver<RollbackResponse> out) {
        run(out, () -> {
            String tenant = auth.teacher(AUTHORIZATION.get());
            String alias = alias(tenant, request.getModel().isEmpty() ? "default" : request.getModel());
            int v = request.getVersion();
            if (!adapters.released(tenant, alias, v)) {
                throw OpenAiException.notFound("model_not_found", alias + "@v" + v + " does not exist");
            }
            String id = learning.start(tenant, alias, "rollback", Integer.toString(v), List.of(), null, List.of()).jobId();
            ServerCallStreamObserver<RollbackResponse> call = (ServerCallStreamObserver<RollbackResponse>) out;
            Map<String, String> job = learning.awaitEnd(id, call::isCancelled);
            if (call.isCancelled()) {
                return null;
            }
            if (!"succeeded".equals(job.get("status"))) {
                throw new OpenAiException(409, "invalid_request_error", "rollback_failed", null,
                        "the rollback (" + id + ") ended " + job.get("status") + ": " + job.getOrDefault("error", "no reason given"),
                        null);
            }
            out.onNext(RollbackResponse.newBuilder().setLive(job.get("fine_tuned_model")).build());
            return null;
        });
    }

    private String alias(String tenant, String model) {
        return flow.alias(tenant, model);
    }

    /** Runs a call body, mapping failures to gRPC statuses as the HTTP API maps them to HTTP ones. */
    private static <T> void run(StreamObserver<T> out, Callable body) {
        try {
            body.call();
            out.onCompleted();
        } catch (OpenAiException e) {
            Status s = switch (e.status) {
                case 400, 413 -> Status.INVALID_ARGUMENT;
                case 401 -> Status.UNAUTHENTICATED;
                case 403 -> Status.PERMISSION_DENIED;
                case 404 -> Status.NOT_FOUND;
                case 409 -> Status.FAILED_PRECONDITION;
                case 429 -> Status.RESOURCE_EXHAUSTED;
                default -> Status.UNAVAILABLE;
            };
            out.onError(s.withDescription(e.getMessage()).asRuntimeException());
        } catch (io.lettuce.core.RedisException e) {
            out.onError(Status.UNAVAILABLE.withDescription("the gateway's store is unavailable").asRuntimeException());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            out.onError(Status.CANCELLED.asRuntimeException());
        } catch (ChatFlow.ClientGone e) {
            // nobody to tell
        } catch (Exception e) {
            out.onError(Status.INTERNAL.withDescription("internal error").asRuntimeException());
        }
    }

    @FunctionalInterface
    private interface Callable {
        Object call() throws Exception;
    }
}
