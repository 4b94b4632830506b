package dev.livetune.gateway;

import dev.livetune.api.adapter.AdapterRef;
import dev.livetune.api.inference.v1.FinishReason;
import dev.livetune.api.inference.v1.ToolCall;
import dev.livetune.api.learn.LearnRequest;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.function.Consumer;

/**
 * One chat turn, whatever the transport: admitted against the tenant's quota; a {@code [Learn]} or
 * {@code [Forget]} message starts a learn job and is answered at once; any other is answered by
 * inference-service with the model's adapter, its tokens charged to the tenant and the exchange
 * recorded in the session. {@link ChatResource} (HTTP, SSE) and {@link ChatGrpcService} only shape
 * what it says for their clients.
 */
@Singleton
public class ChatFlow {

    /**
     * A turn as a transport received it.
     *
     * @param session      the session to record it in, or null (HTTP without {@code X-Session-Id})
     * @param messages     the conversation the model sees, the new message last
     * @param tools        the functions the model is offered ({@link ChatTools#NONE}: none)
     * @param messageParam the request field holding the new message, named in errors
     * @param maxTokens    null: the gateway's default
     */
    public record Turn(String tenant, String session, String model, List<Message> messages, ChatTools tools,
            String messageParam, Integer maxTokens, Double temperature, Double topP, Long seed, List<String> stop,
            boolean mayTeach) {
    }

    /** What the turn became. */
    public sealed interface Answer permits LearnStarted, Generation {
    }

    /** A learn (or forget) job started; {@code reply} is what the chat answers. */
    public record LearnStarted(String jobId, String alias, String reply) implements Answer {
    }

    /**
     * A piece of the answer as it arrives; the last one has a finish reason and the token counts, and
     * the calls when the model called functions ({@code finish_reason} {@code tool_calls}).
     */
    public record Piece(String text, String finishReason, int promptTokens, int completionTokens, List<ToolCall> toolCalls) {
        Piece(String text, String finishReason, int promptTokens, int completionTokens) {
            this(text, finishReason, promptTokens, completionTokens, List.of());
        }
    }

    /** An answer being generated: the first token is in, so failures from here on are the stream's. */
    /** Thrown by a front door's consumer of {@link Generation#stream} when its client has gone. */
    public static final class ClientGone extends RuntimeException {
        public ClientGone() {
            super("the client went away mid-answer", null, false, false);
        }
    }

    public final class Generation implements Answer {
        private final Turn turn;
        private final Completions.Upstream up;
        private volatile boolean clientGone;

        private Generation(Turn turn, Completions.Upstream up) {
            this.turn = turn;
            this.up = up;
        }

        /** @return the adapter version (or {@code base}) that answers */
        public String servedBy() {
            return up.servedBy;
        }

        /**
         * The client went away (its connection closed): the generation is cancelled upstream, and
         * {@link #stream} ends, charging what was generated until then.
         */
        public void clientGone() {
            clientGone = true;
            up.cancel();
        }

        /**
         * Streams the answer to {@code each}, then charges its tokens and records the turn.
         *
         * @return the last piece (finish reason and token counts)
         * @throws OpenAiException when the stream fails midway (nothing is charged or recorded)
         * @throws RuntimeException what {@code each} threw (the client gone): the generation is
         *         cancelled upstream and the tokens generated until then are charged
         */
        public Piece stream(Consumer<Piece> each) {
            StringBuilder text = new StringBuilder();
            Piece[] last = new Piece[1];
            try {
                completions.consume(up, c -> {
                    boolean end = c.getFinishReason() != FinishReason.FINISH_REASON_UNSPECIFIED;
                    Piece p;
                    List<ToolCall> calls = end ? turn.tools().accept(c.getToolCallsList()) : List.of();
                    if (!calls.isEmpty()) {
                        // the calls replace the text the model wrote them in
                        p = new Piece("", "tool_calls", c.getUsage().getPromptTokens(), c.getUsage().getCompletionTokens(),
                                calls);
                    } else {
                        // a reply without calls, or with calls that are not valid calls of these tools: text
                        text.append(c.getText());
                        p = new Piece(c.getText(), end ? finish(c.getFinishReason()) : null,
                                end ? c.getUsage().getPromptTokens() : 0, end ? c.getUsage().getCompletionTokens() : 0);
                    }
                    last[0] = p;
                    each.accept(p);
                });
            } catch (OpenAiException e) {
                if (clientGone) {
                    quotas.charge(turn.tenant(), up.promptTokens + up.completionTokens);
                }
                throw e;
            } catch (RuntimeException e) {
                quotas.charge(turn.tenant(), up.promptTokens + up.completionTokens);
                throw e;
            }
            Piece end = last[0].finishReason() != null ? last[0]
                    : new Piece("", finish(up.last.getFinishReason()), up.last.getUsage().getPromptTokens(),
                            up.last.getUsage().getCompletionTokens());
            quotas.charge(turn.tenant(), end.promptTokens() + end.completionTokens());
            if (turn.session() != null) {
                sessions.record(turn.tenant(), turn.session(), turn.messages(),
                        new Message("assistant", text.toString(), end.toolCalls(), null));
            }
            return end;
        }
    }

    private final Quotas quotas;
    private final Sessions sessions;
    private final Learning learning;
    private final Completions completions;
    private final GatewayConfig config;

    ChatFlow(Quotas quotas, Sessions sessions, Learning learning, Completions completions,
            GatewayConfig config) {
        this.quotas = quotas;
        this.sessions = sessions;
        this.learning = learning;
        this.completions = completions;
        this.config = config;
    }

    /**
     * Admits the turn and starts it: a learn job, or the generation (open, its first token in).
     *
     * @throws OpenAiException for anything refused before an answer begins
     */
    public Answer start(Turn turn) {
        Message last = turn.messages().get(turn.messages().size() - 1);
        Trigger trigger = last.role().equals("user") ? Trigger.of(last.content()) : null;
        if (trigger != null) {
            // a learn job: the learning quota (Learning), not a chat request
            if (!turn.mayTeach()) {
                throw Auth.notATeacher();
            }
            trigger.requireText(turn.messageParam());
            String alias = alias(turn.tenant(), turn.model());
            List<String> context = turn.session() == null ? List.of() : sessions.recent(turn.tenant(), turn.session(), 10);
            LearnRequest r = learning.start(turn.tenant(), alias, trigger.mode(), trigger.text(), List.of(), turn.session(),
                    context);
            String reply = learning.awaitsApproval(turn.tenant(), trigger.mode()) ? trigger.pendingReply(r.jobId(), alias)
                    : trigger.reply(r.jobId(), alias);
            if (turn.session() != null) {
                sessions.record(turn.tenant(), turn.session(), turn.messages(), Message.of("assistant", reply));
            }
            return new LearnStarted(r.jobId(), alias, reply);
        }
        quotas.admit(turn.tenant());
        String adapter = completions.adapterFor(turn.tenant(), turn.model());
        return new Generation(turn, completions.open(turn.tenant(), Completions.request(turn.messages(), turn.tools(), turn.maxTokens(), turn.temperature(),
                turn.topP(), turn.seed(), turn.stop(), adapter), adapter, turn.model()));
    }

    /** @return the alias a model name teaches: {@code default} for the base model */
    String alias(String tenant, String model) {
        if (model.equals(config.baseModel())) {
            return "default";
        }
        try {
            return AdapterRef.parseModel(tenant, model).name();
        } catch (IllegalArgumentException e) {
            throw OpenAiException.invalid("model", "'" + model + "' is not an adapter name: " + e.getMessage());
        }
    }

    private static String finish(FinishReason r) {
        return r == FinishReason.FINISH_REASON_LENGTH ? "length" : "stop";
    }
}
