package dev.livetune.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.api.inference.v1.ToolCall;
import io.lettuce.core.ScriptOutputType;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Conversations kept per {@code X-Session-Id}, per tenant, in Redis: a list of {@code {role,
 * content}} bounded to the last {@code session-max-messages} and the newest {@code session-max-bytes}
 * of them, expiring {@code session-ttl} after its last use. A tenant keeps at most
 * {@code max-sessions-per-tenant} sessions: recording one more forgets the least recently used
 * ({@code livetune:tenant-sessions:<tenant>}, by last use). So one tenant's sessions take at most
 * {@code max-sessions-per-tenant × session-max-bytes} of Redis, whatever it sends.
 *
 * <p>The rule over HTTP: the model sees exactly the messages of the request, as any OpenAI client
 * expects (they send the whole history every time). The session records that conversation plus the
 * reply, so that learning has the context of a {@code [Learn]} message and stateful clients (the gRPC
 * Chat API) can continue it.
 */
@Singleton
public class Sessions {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final String SESSION = "livetune:session:";
    private static final String TENANT_SESSIONS = "livetune:tenant-sessions:";

    /**
     * KEYS: the session, the tenant's sessions; ARGV: the session id, now (ms), the TTL (s), the most
     * sessions, the most messages, the session key prefix, then the items, oldest first. One script, so
     * the conversation is replaced whole and the tenant's count holds under concurrent requests.
     */
    private static final String RECORD = """
            redis.call('DEL', KEYS[1])
            if #ARGV > 6 then redis.call('RPUSH', KEYS[1], unpack(ARGV, 7)) end
            redis.call('LTRIM', KEYS[1], -tonumber(ARGV[5]), -1)
            redis.call('EXPIRE', KEYS[1], ARGV[3])
            redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
            redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[2]) - 1000 * tonumber(ARGV[3]))
            redis.call('EXPIRE', KEYS[2], ARGV[3])
            local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
            if excess > 0 then
              local popped = redis.call('ZPOPMIN', KEYS[2], excess)
              for i = 1, #popped, 2 do redis.call('DEL', ARGV[6] .. popped[i]) end
            end
            return excess
            """;

    private final RedisStore store;
    private final GatewayConfig config;
    private final ObjectMapper json = new ObjectMapper();

    Sessions(RedisStore store, GatewayConfig config) {
        this.store = store;
        this.config = config;
    }

    /** @throws OpenAiException 400 for a malformed id */
    public static String validId(String id) {
        if (!ID.matcher(id).matches()) {
            throw OpenAiException.invalid("X-Session-Id", "X-Session-Id must be 1-128 letters, digits or ._:-");
        }
        return id;
    }

    /**
     * Replaces the session's record with this conversation and its reply: the newest messages that fit
     * in {@code session-max-bytes}. Concurrent writes to one session: last wins.
     */
    public void record(String tenant, String session, List<Message> messages, Message reply) {
        List<String> all = new ArrayList<>();
        for (Message m : messages) {
            all.add(item(m));
        }
        if (reply != null) {
            all.add(item(reply));
        }
        ArrayDeque<String> kept = new ArrayDeque<>();
        long bytes = 0;
        for (int i = all.size() - 1; i >= 0 && kept.size() < config.sessionMaxMessages(); i--) {
            bytes += all.get(i).getBytes(StandardCharsets.UTF_8).length;
            if (bytes > config.sessionMaxBytes()) {
                break;
            }
            kept.addFirst(all.get(i));
        }
        String prefix = SESSION + tenant + ":";
        List<String> args = new ArrayList<>(List.of(session, Long.toString(System.currentTimeMillis()),
                Long.toString(config.sessionTtl().toSeconds()), Integer.toString(config.maxSessionsPerTenant()),
                Integer.toString(config.sessionMaxMessages()), prefix));
        args.addAll(kept);
        store.redis().eval(RECORD, ScriptOutputType.INTEGER, new String[] {prefix + session, TENANT_SESSIONS + tenant},
                args.toArray(String[]::new));
    }

    /** @return the whole recorded conversation, oldest first (roles and text) */
    public List<Message> history(String tenant, String session) {
        List<Message> out = new ArrayList<>();
        for (String item : store.redis().lrange(key(tenant, session), 0, -1)) {
            try {
                var node = json.readTree(item);
                List<ToolCall> calls = new ArrayList<>();
                for (JsonNode c : node.path("tool_calls")) {
                    calls.add(ToolCall.newBuilder().setId(c.path("id").asText()).setName(c.path("name").asText())
                            .setArguments(c.path("arguments").asText()).build());
                }
                out.add(new Message(node.path("role").asText(), node.path("content").asText(), calls,
                        node.hasNonNull("tool_call_id") ? node.get("tool_call_id").asText() : null));
            } catch (JsonProcessingException e) {
                // skip a damaged entry
            }
        }
        return out;
    }

    /** @return the last {@code n} turns as {@code role: content} lines */
    public List<String> recent(String tenant, String session, int n) {
        List<String> out = new ArrayList<>();
        for (String item : store.redis().lrange(key(tenant, session), -n, -1)) {
            try {
                var node = json.readTree(item);
                out.add(node.path("role").asText() + ": " + node.path("content").asText());
            } catch (JsonProcessingException e) {
                // skip a damaged entry
            }
        }
        return out;
    }

    private String item(Message m) {
        ObjectNode o = json.createObjectNode();
        o.put("role", m.role());
        o.put("content", m.content());
        if (!m.toolCalls().isEmpty()) {
            var calls = o.putArray("tool_calls");
            for (ToolCall c : m.toolCalls()) {
                calls.addObject().put("id", c.getId()).put("name", c.getName()).put("arguments", c.getArguments());
            }
        }
        if (m.toolCallId() != null) {
            o.put("tool_call_id", m.toolCallId());
        }
        return o.toString();
    }

    private static String key(String tenant, String session) {
        return SESSION + tenant + ":" + session;
    }
}
