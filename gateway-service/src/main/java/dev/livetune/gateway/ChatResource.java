package dev.livetune.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.api.adapter.AdapterRef;
import dev.livetune.api.inference.v1.FinishReason;
import dev.livetune.api.inference.v1.GenerateChunk;
import dev.livetune.api.inference.v1.GenerateRequest;
import dev.livetune.api.learn.LearnRequest;
import io.grpc.Status;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
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
import java.util.List;
import java.util.UUID;

/** {@code POST /v1/chat/completions}, streaming (SSE) and not, in OpenAI's shapes. */
@Path("/v1/chat/completions")
public class ChatResource {

    static final int MAX_BODY_BYTES = 1 << 20;

    private final ObjectMapper json = new ObjectMapper();
    private final Auth auth;
    private final Quotas quotas;
    private final Sessions sessions;
    private final Learning learning;
    private final GatewayConfig config;

    private final Completions completions;

    ChatResource(Auth auth, Quotas quotas, Sessions sessions, Learning learning, GatewayConfig config,
            Completions completions) {
        this.completions = completions;
        this.auth = auth;
        this.quotas = quotas;
        this.sessions = sessions;
        this.learning = learning;
        this.config = config;
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    public Response complete(@HeaderParam("Authorization") String authorization,
            @HeaderParam("X-Session-Id") String sessionHeader, byte[] body) {
        String tenant = auth.tenant(authorization);
        if (body.length > MAX_BODY_BYTES) {
            throw OpenAiException.tooLarge("request body of " + body.length + " bytes exceeds " + MAX_BODY_BYTES);
        }
        ChatRequest req = ChatRequest.parse(parse(body), config.maxTokensLimit());
        String session = sessionHeader == null ? null : Sessions.validId(sessionHeader);
        quotas.admit(tenant);
        String adapter = completions.adapterFor(tenant, req.model());
        String[] last = req.messages().get(req.messages().size() - 1);
        Trigger trigger = Trigger.of(last[1]);
        if (trigger != null) {
            return learn(tenant, session, req, trigger.requireText("messages"));
        }
        GenerateRequest grpc = Completions.request(req.messages(), req.maxTokens(), req.temperature(), req.topP(), req.seed(),
                req.stop(), adapter);
        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
        long created = Instant.now().getEpochSecond();
        if (req.stream()) {
            // Open the upstream stream before answering, so that errors before the first token are
            // still proper HTTP errors; after that, the SSE stream carries them.
            Completions.Upstream up = completions.open(grpc, adapter, req.model());
            StreamingOutput out = os -> stream(os, up, req, id, created, tenant, session);
            return Response.ok(out).type("text/event-stream; charset=utf-8").header("Cache-Control", "no-cache").build();
        }
        Completions.Upstream up = completions.open(grpc, adapter, req.model());
        StringBuilder text = new StringBuilder();
        completions.consume(up, c -> text.append(c.getText()));
        GenerateChunk last1 = up.last;
        int prompt = last1.getUsage().getPromptTokens();
        int completion = last1.getUsage().getCompletionTokens();
        quotas.charge(tenant, prompt + completion);
        if (session != null) {
            sessions.record(tenant, session, req.messages(), text.toString());
        }
        ObjectNode root = base(id, "chat.completion", created, req.model(), up.servedBy);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.put("content", text.toString());
        message.putNull("refusal");
        choice.putNull("logprobs");
        choice.put("finish_reason", finish(last1.getFinishReason()));
        usage(root.putObject("usage"), prompt, completion);
        return Response.ok(root.toString(), MediaType.APPLICATION_JSON).build();
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

    private void stream(OutputStream os, Completions.Upstream up, ChatRequest req, String id, long created, String tenant,
            String session) throws IOException {
        StringBuilder text = new StringBuilder();
        ObjectNode first = chunk(id, created, req.model(), up.servedBy);
        ObjectNode delta = ((ObjectNode) first.get("choices").get(0)).putObject("delta");
        delta.put("role", "assistant");
        delta.put("content", "");
        write(os, first.toString());
        try {
            completions.consume(up, c -> {
                if (!c.getText().isEmpty()) {
                    text.append(c.getText());
                    ObjectNode ch = chunk(id, created, req.model(), up.servedBy);
                    ((ObjectNode) ch.get("choices").get(0)).putObject("delta").put("content", c.getText());
                    writeUnchecked(os, ch.toString());
                }
            });
        } catch (OpenAiException e) {
            ObjectNode err = json.createObjectNode();
            ObjectNode inner = err.putObject("error");
            inner.put("message", e.getMessage());
            inner.put("type", e.type);
            write(os, err.toString());
            write(os, "[DONE]");
            return;
        }
        ObjectNode end = chunk(id, created, req.model(), up.servedBy);
        ObjectNode choice = (ObjectNode) end.get("choices").get(0);
        choice.putObject("delta");
        choice.put("finish_reason", finish(up.last.getFinishReason()));
        write(os, end.toString());
        int prompt = up.last.getUsage().getPromptTokens();
        int completion = up.last.getUsage().getCompletionTokens();
        if (req.includeUsage()) {
            ObjectNode u = base(id, "chat.completion.chunk", created, req.model(), up.servedBy);
            u.putArray("choices");
            usage(u.putObject("usage"), prompt, completion);
            write(os, u.toString());
        }
        write(os, "[DONE]");
        quotas.charge(tenant, prompt + completion);
        if (session != null) {
            sessions.record(tenant, session, req.messages(), text.toString());
        }
    }

    /** Publishes the learn request (confirmed by the broker), records the job, and answers at once. */
    private Response learn(String tenant, String session, ChatRequest req, Trigger trigger) {
        String alias = req.model().equals(config.baseModel()) ? "default"
                : AdapterRef.parseModel(tenant, req.model()).name();
        List<String> context = session == null ? List.of() : sessions.recent(tenant, session, 10);
        LearnRequest r = learning.start(tenant, alias, trigger.mode(), trigger.text(), List.of(), session, context);
        String jobId = r.jobId();
        String reply = trigger.reply(jobId, alias);
        if (session != null) {
            sessions.record(tenant, session, req.messages(), reply);
        }
        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
        long created = Instant.now().getEpochSecond();
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

    private static String finish(FinishReason r) {
        return r == FinishReason.FINISH_REASON_LENGTH ? "length" : "stop";
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
