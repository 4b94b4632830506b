package dev.livetune.inference;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.inference.v1.FinishReason;
import dev.livetune.api.inference.v1.GenerateChunk;
import dev.livetune.api.inference.v1.GenerateRequest;
import dev.livetune.api.inference.v1.InferenceGrpc;
import dev.livetune.api.inference.v1.Usage;
import dev.livetune.llm.LanguageModel;
import dev.livetune.llm.generate.GenerationDefaults;
import dev.livetune.llm.generate.GenerationRequest;
import dev.livetune.llm.generate.SamplingParams;
import dev.livetune.llm.generate.TokenListener;
import dev.livetune.llm.tokenizer.ChatMessage;
import dev.livetune.llm.tokenizer.TokenizerException;
import dev.livetune.llm.tools.ToolCall;
import dev.livetune.llm.tools.ToolCallFormat;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.quarkus.grpc.RegisterInterceptor;
import io.smallrye.common.annotation.Blocking;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/** {@code livetune.inference.v1.Inference}: validates, takes an adapter lease, queues for the decode loop. */
@GrpcService
@RegisterInterceptor(GenerateAuth.class)
public class InferenceGrpcService extends InferenceGrpc.InferenceImplBase {

    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How a reply with tools is read: the model's call format, and the opening written for it ("" none). */
    private record ToolReading(ToolCallFormat format, String prefix) {
    }

    private final InferenceEngine engine;

    InferenceGrpcService(InferenceEngine engine) {
        this.engine = engine;
    }

    @Override
    @Blocking
    public void generate(GenerateRequest request, StreamObserver<GenerateChunk> observer) {
        long arrival = System.nanoTime();
        ServerCallStreamObserver<GenerateChunk> call = (ServerCallStreamObserver<GenerateChunk>) observer;
        String notReady = engine.notReadyReason();
        if (notReady != null) {
            call.onError(Status.UNAVAILABLE.withDescription(notReady).asRuntimeException());
            return;
        }
        LanguageModel model = engine.model();
        int[] prompt;
        SamplingParams sampling;
        ToolReading tools;
        try {
            tools = toolReading(request, model);
            prompt = prompt(request, model, tools);
            sampling = sampling(request);
        } catch (IllegalArgumentException | TokenizerException e) {
            call.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        String caller = GenerateAuth.TENANT.get();
        if (caller != null && !request.getAdapter().isEmpty() && !request.getAdapter().startsWith(caller + "/")) {
            call.onError(Status.PERMISSION_DENIED.withDescription("a caller for tenant " + caller
                    + " may use only that tenant's adapters and the base model").asRuntimeException());
            return;
        }
        AdapterRegistry.Lease lease;
        try {
            lease = engine.registry().acquire(request.getAdapter());
        } catch (AdapterException e) {
            call.onError(e.status().asRuntimeException());
            return;
        }
        AtomicBoolean clientGone = new AtomicBoolean();
        call.setOnCancelHandler(() -> clientGone.set(true));
        Deadline deadline = Context.current().getDeadline();
        BooleanSupplier cancelled = () -> clientGone.get() || (deadline != null && deadline.isExpired());
        Stream stream = new Stream(call, lease.servedBy(), prompt.length, arrival, clientGone, deadline, sampling, tools);
        GenerationRequest generation = new GenerationRequest(prompt, lease.adapter(), sampling, stream, cancelled);
        Scheduler.Job job = new Scheduler.Job(generation, lease, stream::failed);
        if (!engine.scheduler().offer(job)) {
            lease.close();
            call.onError(Status.RESOURCE_EXHAUSTED.withDescription("too many requests waiting ("
                    + engine.config().maxWaiting() + "); retry later").asRuntimeException());
            return;
        }
        engine.metrics().waiting.set(engine.scheduler().waiting());
        engine.metrics().promptTokens.increment(prompt.length);
    }

    /** @return how to read the reply for calls, or null when the request lists no tools */
    private static ToolReading toolReading(GenerateRequest request, LanguageModel model) {
        if (request.getPromptCase() != GenerateRequest.PromptCase.CHAT || request.getChat().getToolsCount() == 0) {
            return null;
        }
        var chat = request.getChat();
        ToolCallFormat format = model.toolCallFormat().orElseThrow(() -> new IllegalArgumentException(
                "tools: this model's chat template renders no tools, so it cannot call them"));
        String forced = "";
        if (chat.getToolChoice() == dev.livetune.api.inference.v1.ToolChoice.TOOL_CHOICE_REQUIRED) {
            String name = chat.getToolName();
            if (!name.isEmpty() && chat.getToolsList().stream().noneMatch(t -> t.getName().equals(name))) {
                throw new IllegalArgumentException("tool_name '" + name + "' is not one of the tools");
            }
            forced = format.forcedPrefix(name.isEmpty() ? null : name);
        }
        return new ToolReading(format, forced);
    }

    /** @return the tools as chat templates see them: {"type": "function", "function": {...}} */
    private static List<Map<String, Object>> templateTools(List<dev.livetune.api.inference.v1.Tool> tools) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (var t : tools) {
            if (t.getName().isEmpty()) {
                throw new IllegalArgumentException("tools: a tool has no name");
            }
            Map<String, Object> function = new LinkedHashMap<>();
            function.put("name", t.getName());
            if (!t.getDescription().isEmpty()) {
                function.put("description", t.getDescription());
            }
            if (!t.getParameters().isEmpty()) {
                try {
                    function.put("parameters", JSON.readValue(t.getParameters(), LinkedHashMap.class));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalArgumentException("tools: the parameters of '" + t.getName()
                            + "' are not a JSON object: " + e.getOriginalMessage());
                }
            }
            Map<String, Object> tool = new LinkedHashMap<>();
            tool.put("type", "function");
            tool.put("function", function);
            out.add(tool);
        }
        return out;
    }

    private int[] prompt(GenerateRequest request, LanguageModel model, ToolReading tools) {
        int[] ids;
        switch (request.getPromptCase()) {
            case CHAT -> {
                if (request.getChat().getMessagesCount() == 0) {
                    throw new IllegalArgumentException("prompt is empty: chat has no messages");
                }
                List<ChatMessage> messages = new ArrayList<>();
                for (var m : request.getChat().getMessagesList()) {
                    if (!ROLES.contains(m.getRole())) {
                        throw new IllegalArgumentException("message role '" + m.getRole()
                                + "' is not system, user, assistant or tool");
                    }
                    List<ToolCall> calls = m.getToolCallsList().stream()
                            .map(c -> new ToolCall(c.getId().isEmpty() ? null : c.getId(), c.getName(), c.getArguments()))
                            .toList();
                    messages.add(new ChatMessage(m.getRole(), m.getContent(), calls,
                            m.getToolCallId().isEmpty() ? null : m.getToolCallId()));
                }
                ids = tools == null ? model.encodeChat(messages)
                        : model.encodeChat(messages, templateTools(request.getChat().getToolsList()), tools.prefix());
            }
            case TOKENS -> ids = request.getTokens().getIdsList().stream().mapToInt(Integer::intValue).toArray();
            default -> throw new IllegalArgumentException("prompt is empty: set chat or tokens");
        }
        if (ids.length == 0) {
            throw new IllegalArgumentException("prompt is empty");
        }
        int context = model.decoder().config().maxPositionEmbeddings();
        int max = engine.config().maxPromptTokens() > 0 ? Math.min(engine.config().maxPromptTokens(), context - 1)
                : context - 1;
        if (ids.length > max) {
            throw new IllegalArgumentException("prompt of " + ids.length + " tokens exceeds the limit of " + max);
        }
        int vocab = model.decoder().config().vocabSize();
        for (int id : ids) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + vocab + ")");
            }
        }
        return ids;
    }

    /**
     * The request's sampling parameters; each one it leaves out takes the model's default from its
     * {@code generation_config.json} ({@link GenerationDefaults}), then the service's (temperature 1,
     * {@code default-max-tokens}). A value the request sets always wins.
     */
    private SamplingParams sampling(GenerateRequest request) {
        var s = request.getSampling();
        GenerationDefaults defaults = engine.model().generationDefaults();
        if (s.getMaxTokens() < 0) {
            throw new IllegalArgumentException("max_tokens must be >= 0 (0 = default), got " + s.getMaxTokens());
        }
        double temperature = s.hasTemperature() ? s.getTemperature() : defaults.temperatureOr(1.0);
        if (!(temperature >= 0) || Double.isInfinite(temperature) || temperature > 100) {
            throw new IllegalArgumentException("temperature must be in [0, 100], got " + temperature);
        }
        if (s.hasTopP() && !(s.getTopP() > 0 && s.getTopP() <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + s.getTopP());
        }
        if (s.hasTopK() && s.getTopK() < 0) {
            throw new IllegalArgumentException("top_k must be >= 0, got " + s.getTopK());
        }
        if (s.hasRepetitionPenalty() && !(s.getRepetitionPenalty() > 0 && s.getRepetitionPenalty() <= 100)) {
            throw new IllegalArgumentException("repetition_penalty must be in (0, 100], got " + s.getRepetitionPenalty());
        }
        int vocab = engine.model().decoder().config().vocabSize();
        Set<Integer> stopIds = new HashSet<>();
        for (int id : s.getStopTokenIdsList()) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("stop_token_ids holds " + id + ", outside the vocabulary");
            }
            stopIds.add(id);
        }
        if (s.getStopList().stream().anyMatch(String::isEmpty) || s.getStopCount() > 16) {
            throw new IllegalArgumentException("stop takes up to 16 non-empty strings");
        }
        int maxTokens = s.getMaxTokens() != 0 ? s.getMaxTokens()
                : defaults.maxNewTokens().orElse(engine.config().defaultMaxTokens());
        SamplingParams.Builder b = SamplingParams.builder()
                .setMaxNewTokens(maxTokens)
                .optTemperature(temperature)
                .optStopTokenIds(stopIds)
                .optStopStrings(s.getStopList())
                .optIgnoreEos(s.getIgnoreEos());
        optional(s.hasTopP(), s.getTopP(), defaults.topP()).ifPresent(b::optTopP);
        if (s.hasTopK()) {
            b.optTopK(s.getTopK());
        } else {
            defaults.topK().ifPresent(b::optTopK);
        }
        optional(s.hasRepetitionPenalty(), s.getRepetitionPenalty(), defaults.repetitionPenalty())
                .ifPresent(b::optRepetitionPenalty);
        if (s.hasSeed()) {
            b.optSeed(s.getSeed());
        }
        return b.build();
    }

    private static OptionalDouble optional(boolean set, float value, OptionalDouble modelDefault) {
        return set ? OptionalDouble.of(value) : modelDefault;
    }

    /** @return the parameters a request runs with, as the last chunk reports them */
    private static dev.livetune.api.inference.v1.SamplingParams echo(SamplingParams p) {
        var b = dev.livetune.api.inference.v1.SamplingParams.newBuilder().setMaxTokens(p.maxNewTokens())
                .setTemperature((float) p.temperature()).setTopP((float) p.topP()).setTopK(p.topK())
                .setRepetitionPenalty((float) p.repetitionPenalty()).addAllStop(p.stopStrings())
                .addAllStopTokenIds(p.stopTokenIds().stream().sorted().toList()).setIgnoreEos(p.ignoreEos());
        p.seed().ifPresent(b::setSeed);
        return b.build();
    }

    /** Relays one sequence's tokens to its gRPC stream; runs on the decode thread. */
    private final class Stream implements TokenListener {
        private final ServerCallStreamObserver<GenerateChunk> call;
        private final String servedBy;
        private final int promptTokens;
        private final long arrival;
        private final AtomicBoolean clientGone;
        private final Deadline deadline;
        private final dev.livetune.api.inference.v1.SamplingParams sampling;
        private int generated;
        private long last;
        /** With tools: the reply so far (from the forced opening, if any) and how much of it was sent. */
        private final ToolReading tools;
        private final StringBuilder reply;
        private int sent;

        Stream(ServerCallStreamObserver<GenerateChunk> call, String servedBy, int promptTokens, long arrival,
                AtomicBoolean clientGone, Deadline deadline, SamplingParams sampling, ToolReading tools) {
            this.call = call;
            this.tools = tools;
            this.reply = tools == null ? null : new StringBuilder(tools.prefix());
            this.sampling = echo(sampling);
            this.servedBy = servedBy;
            this.promptTokens = promptTokens;
            this.arrival = arrival;
            this.clientGone = clientGone;
            this.deadline = deadline;
        }

        @Override
        public void onToken(int tokenId, String textDelta) {
            long now = System.nanoTime();
            InferenceMetrics m = engine.metrics();
            if (generated == 0) {
                m.timeToFirstToken.record(now - arrival, TimeUnit.NANOSECONDS);
                m.waiting.set(engine.scheduler().waiting());
            } else {
                m.interTokenLatency.record(now - last, TimeUnit.NANOSECONDS);
            }
            last = now;
            generated++;
            m.generationTokens.increment();
            GenerateChunk.Builder chunk = GenerateChunk.newBuilder().setText(visible(textDelta)).addTokenIds(tokenId)
                    .setServedBy(servedBy);
            if (generated == 1) {
                // what the prompt costs, known from the start: a client that stops early can still charge it
                chunk.setUsage(Usage.newBuilder().setPromptTokens(promptTokens));
            }
            send(chunk.build());
        }

        @Override
        public void onFinish(String remainingText, dev.livetune.llm.generate.FinishReason reason) {
            engine.metrics().e2eLatency.record(System.nanoTime() - arrival, TimeUnit.NANOSECONDS);
            engine.metrics().finished(reason.name().toLowerCase(java.util.Locale.ROOT));
            if (clientGone.get()) {
                return;
            }
            if (reason == dev.livetune.llm.generate.FinishReason.CANCELLED) {
                boolean expired = deadline != null && deadline.isExpired();
                fail((expired ? Status.DEADLINE_EXCEEDED : Status.CANCELLED)
                        .withDescription(expired ? "deadline exceeded after " + generated + " tokens" : "cancelled"));
                return;
            }
            GenerateChunk.Builder end = GenerateChunk.newBuilder().setServedBy(servedBy)
                    .setFinishReason(reason == dev.livetune.llm.generate.FinishReason.STOP
                            ? FinishReason.FINISH_REASON_STOP : FinishReason.FINISH_REASON_LENGTH);
            if (tools == null) {
                end.setText(remainingText);
            } else {
                reply.append(remainingText);
                ToolCallFormat.Parsed parsed = tools.format().parse(reply.toString());
                // what was held back: text when it holds no call; the calls as written when it does (a
                // caller that finds them invalid returns them as text)
                end.setText(reply.substring(sent));
                if (!parsed.calls().isEmpty()) {
                    for (ToolCall c : parsed.calls()) {
                        end.addToolCalls(dev.livetune.api.inference.v1.ToolCall.newBuilder().setName(c.name())
                                .setArguments(c.arguments()));
                    }
                    end.setFinishReason(FinishReason.FINISH_REASON_TOOL_CALLS);
                }
            }
            send(end
                    .setUsage(Usage.newBuilder().setPromptTokens(promptTokens).setCompletionTokens(generated))
                    .setSampling(sampling)
                    .build());
            try {
                call.onCompleted();
            } catch (RuntimeException e) {
                // the client went away meanwhile
            }
        }

        /** @return the part of the reply that can be sent now: with tools, not what may begin a call */
        private String visible(String textDelta) {
            if (tools == null) {
                return textDelta;
            }
            reply.append(textDelta);
            int upTo = Math.max(sent, tools.format().holdFrom(reply.toString()));
            String out = reply.substring(sent, upTo);
            sent = upTo;
            return out;
        }

        void failed() {
            engine.metrics().finished("error");
            fail(Status.INTERNAL.withDescription("generation failed; see the service log"));
        }

        private void fail(Status status) {
            try {
                call.onError(status.asRuntimeException());
            } catch (RuntimeException e) {
                // already closed
            }
        }

        private void send(GenerateChunk chunk) {
            try {
                call.onNext(chunk);
            } catch (RuntimeException e) {
                clientGone.set(true);
            }
        }
    }
}
