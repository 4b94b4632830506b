package dev.livetune.inference;

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
import java.util.List;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/** {@code livetune.inference.v1.Inference}: validates, takes an adapter lease, queues for the decode loop. */
@GrpcService
@RegisterInterceptor(GenerateAuth.class)
public class InferenceGrpcService extends InferenceGrpc.InferenceImplBase {

    private static final Set<String> ROLES = Set.of("system", "user", "assistant");

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
        try {
            prompt = prompt(request, model);
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
        Stream stream = new Stream(call, lease.servedBy(), prompt.length, arrival, clientGone, deadline, sampling);
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

    private int[] prompt(GenerateRequest request, LanguageModel model) {
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
                                + "' is not system, user or assistant");
                    }
                    messages.add(new ChatMessage(m.getRole(), m.getContent()));
                }
                ids = model.encodeChat(messages);
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

        Stream(ServerCallStreamObserver<GenerateChunk> call, String servedBy, int promptTokens, long arrival,
                AtomicBoolean clientGone, Deadline deadline, SamplingParams sampling) {
            this.call = call;
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
            GenerateChunk.Builder chunk = GenerateChunk.newBuilder().setText(textDelta).addTokenIds(tokenId).setServedBy(servedBy);
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
            send(GenerateChunk.newBuilder().setText(remainingText).setServedBy(servedBy)
                    .setFinishReason(reason == dev.livetune.llm.generate.FinishReason.STOP
                            ? FinishReason.FINISH_REASON_STOP : FinishReason.FINISH_REASON_LENGTH)
                    .setUsage(Usage.newBuilder().setPromptTokens(promptTokens).setCompletionTokens(generated))
                    .setSampling(sampling)
                    .build());
            try {
                call.onCompleted();
            } catch (RuntimeException e) {
                // the client went away meanwhile
            }
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
