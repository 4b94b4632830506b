package dev.livetune.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.livetune.api.inference.v1.ToolCall;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;

/** {@code POST /v1/chat/completions}, streaming (SSE) and not, in OpenAI's shapes. */
@Path("/v1/chat/completions")
public class ChatResource {

    static final int MAX_BODY_BYTES = 1 << 20;

    private final ObjectMapper json = new ObjectMapper();
    private final Caller caller;
    private final ChatFlow flow;
    private final GatewayConfig config;
    private final Streams streams;

    ChatResource(Caller caller, ChatFlow flow, GatewayConfig config, Streams streams) {
        this.streams = streams;
        this.caller = caller;
        this.flow = flow;
        this.config = config;
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    public Response complete(@HeaderParam("X-Session-Id") String sessionHeader, @Context RoutingContext http,
            @RequestBody(required = true, content = @Content(mediaType = "application/json",
                    schema = @Schema(ref = "ChatCompletionRequest"))) byte[] body) {
        ApiKeys.Holder holder = caller.holder();
        String tenant = holder.tenant();
        if (body.length > MAX_BODY_BYTES) {
            throw OpenAiException.tooLarge("request body of " + body.length + " bytes exceeds " + MAX_BODY_BYTES);
        }
        ChatRequest req = ChatRequest.parse(parse(body), config.maxTokensLimit());
        String session = sessionHeader == null ? null : Sessions.validId(sessionHeader);
        Streams.Slot slot = req.stream() ? streams.open(tenant) : null;
        ChatFlow.Answer answer;
        try {
            // Over HTTP the model sees exactly the request's messages; the session only records them.
            answer = flow.start(new ChatFlow.Turn(tenant, session, req.model(), req.messages(), req.tools(), "messages",
                    req.maxTokens(), req.temperature(), req.topP(), req.seed(), req.stop(), holder.mayTeach()));
        } catch (RuntimeException e) {
            close(slot);
            throw e;
        }
        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
        long created = Instant.now().getEpochSecond();
        if (answer instanceof ChatFlow.LearnStarted learn) {
            close(slot);
            return learn(req, learn, id, created);
        }
        ChatFlow.Generation g = (ChatFlow.Generation) answer;
        // A client that hangs up mid-answer cancels the generation upstream (and pays for what it got).
        http.addEndHandler(sent -> {
            if (sent.failed()) {
                g.clientGone();
            }
        });
        if (req.stream()) {
            // The upstream stream is open (its first token in) before answering, so that errors before
            // it are still proper HTTP errors; after that, the SSE stream carries them.
            StreamingOutput out = os -> {
                try (slot) {
                    stream(os, g, req, id, created, http);
                }
            };
            return Response.ok(out).type("text/event-stream; charset=utf-8").header("Cache-Control", "no-cache").build();
        }
        StringBuilder text = new StringBuilder();
        ChatFlow.Piece end = g.stream(p -> text.append(p.text()));
        ObjectNode root = base(id, "chat.completion", created, req.model(), g.servedBy());
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        if (end.toolCalls().isEmpty() || !text.isEmpty()) {
            message.put("content", text.toString());
        } else {
            message.putNull("content");
        }
        message.putNull("refusal");
        if (!end.toolCalls().isEmpty()) {
            ArrayNode calls = message.putArray("tool_calls");
            for (ToolCall c : end.toolCalls()) {
                ObjectNode call = calls.addObject();
                call.put("id", c.getId());
                call.put("type", "function");
                ObjectNode f = call.putObject("function");
                f.put("name", c.getName());
                f.put("arguments", c.getArguments());
            }
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", end.finishReason());
        usage(root.putObject("usage"), end.promptTokens(), end.completionTokens());
        return Response.ok(root.toString(), MediaType.APPLICATION_JSON).build();
    }

    private static void close(Streams.Slot slot) {
        if (slot != null) {
            slot.close();
        }
    }

    private JsonNode parse(byte[] body) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw OpenAiException.invalid(null, "the request body is not valid UTF-8");
        }
        if (text.isBlank()) {
            throw OpenAiException.invalid(null, "the request body is empty; send a JSON object");
        }
        try {
            return json.readTree(text);
        } catch (JsonProcessingException e) {
            throw OpenAiException.invalid(null, "the request body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private void stream(OutputStream os, ChatFlow.Generation g, ChatRequest req, String id, long created, RoutingContext http)
            throws IOException {
        ObjectNode first = chunk(id, created, req.model(), g.servedBy());
        ObjectNode delta = ((ObjectNode) first.get("choices").get(0)).putObject("delta");
        delta.put("role", "assistant");
        delta.put("content", "");
        write(os, first.toString());
        ChatFlow.Piece end;
        try {
            end = g.stream(p -> {
                if (http.response().closed()) {
                    // the client hung up: writes to its connection would vanish without an error
                    throw new ChatFlow.ClientGone();
                }
                if (!p.text().isEmpty()) {
                    ObjectNode ch = chunk(id, created, req.model(), g.servedBy());
                    ((ObjectNode) ch.get("choices").get(0)).putObject("delta").put("content", p.text());
                    writeUnchecked(os, ch.toString());
                }
                // as OpenAI streams a call: its id and name with empty arguments, then the arguments
                for (int i = 0; i < p.toolCalls().size(); i++) {
                    ToolCall c = p.toolCalls().get(i);
                    ObjectNode head = chunk(id, created, req.model(), g.servedBy());
                    ObjectNode call = ((ObjectNode) head.get("choices").get(0)).putObject("delta").putArray("tool_calls")
                            .addObject();
                    call.put("index", i);
                    call.put("id", c.getId());
                    call.put("type", "function");
                    call.putObject("function").put("name", c.getName()).put("arguments", "");
                    writeUnchecked(os, head.toString());
                    ObjectNode args = chunk(id, created, req.model(), g.servedBy());
                    ObjectNode more = ((ObjectNode) args.get("choices").get(0)).putObject("delta").putArray("tool_calls")
                            .addObject();
                    more.put("index", i);
                    more.putObject("function").put("arguments", c.getArguments());
                    writeUnchecked(os, args.toString());
                }
            });
        } catch (ChatFlow.ClientGone e) {
            return;
        } catch (OpenAiException e) {
            ObjectNode err = json.createObjectNode();
            ObjectNode inner = err.putObject("error");
            inner.put("message", e.getMessage());
            inner.put("type", e.type);
            // "service_unavailable" tells the client the request may be sent again
            inner.put("code", e.code);
            write(os, err.toString());
            write(os, "[DONE]");
            return;
        }
        ObjectNode last = chunk(id, created, req.model(), g.servedBy());
        ObjectNode choice = (ObjectNode) last.get("choices").get(0);
        choice.putObject("delta");
        choice.put("finish_reason", end.finishReason());
        write(os, last.toString());
        if (req.includeUsage()) {
            ObjectNode u = base(id, "chat.completion.chunk", created, req.model(), g.servedBy());
            u.putArray("choices");
            usage(u.putObject("usage"), end.promptTokens(), end.completionTokens());
            write(os, u.toString());
        }
        write(os, "[DONE]");
    }

    /** The job started: answered at once, with its id. */
    private Response learn(ChatRequest req, ChatFlow.LearnStarted learn, String id, long created) {
        String jobId = learn.jobId();
        String reply = learn.reply();
        if (req.stream()) {
            StreamingOutput out = os -> {
                ObjectNode c = chunk(id, created, req.model(), "learn");
                ObjectNode d = ((ObjectNode) c.get("choices").get(0)).putObject("delta");
                d.put("role", "assistant");
                d.put("content", reply);
                write(os, c.toString());
                ObjectNode end = chunk(id, created, req.model(), "learn");
                ((ObjectNode) end.get("choices").get(0)).putObject("delta");
                ((ObjectNode) end.get("choices").get(0)).put("finish_reason", "stop");
                write(os, end.toString());
                if (req.includeUsage()) {
                    ObjectNode u = base(id, "chat.completion.chunk", created, req.model(), "learn");
                    u.putArray("choices");
                    usage(u.putObject("usage"), 0, 0);
                    write(os, u.toString());
                }
                write(os, "[DONE]");
            };
            return Response.ok(out).type("text/event-stream; charset=utf-8").header("X-Livetune-Job-Id", jobId).build();
        }
        ObjectNode root = base(id, "chat.completion", created, req.model(), "learn");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.put("content", reply);
        message.putNull("refusal");
        choice.putNull("logprobs");
        choice.put("finish_reason", "stop");
        usage(root.putObject("usage"), 0, 0);
        root.put("livetune_job_id", jobId);
        return Response.ok(root.toString(), MediaType.APPLICATION_JSON).header("X-Livetune-Job-Id", jobId).build();
    }

    private ObjectNode base(String id, String object, long created, String model, String fingerprint) {
        ObjectNode o = json.createObjectNode();
        o.put("id", id);
        o.put("object", object);
        o.put("created", created);
        o.put("model", model);
        o.put("system_fingerprint", fingerprint);
        return o;
    }

    private ObjectNode chunk(String id, long created, String model, String fingerprint) {
        ObjectNode o = base(id, "chat.completion.chunk", created, model, fingerprint);
        ArrayNode choices = o.putArray("choices");
        ObjectNode c = choices.addObject();
        c.put("index", 0);
        c.putNull("logprobs");
        c.putNull("finish_reason");
        return o;
    }

    private static void usage(ObjectNode u, int prompt, int completion) {
        u.put("prompt_tokens", prompt);
        u.put("completion_tokens", completion);
        u.put("total_tokens", prompt + completion);
    }

    private static void write(OutputStream os, String data) throws IOException {
        os.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        os.flush();
    }

    private static void writeUnchecked(OutputStream os, String data) {
        try {
            write(os, data);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
