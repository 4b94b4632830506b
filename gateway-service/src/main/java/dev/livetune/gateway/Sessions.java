package dev.livetune.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lettuce.core.api.sync.RedisCommands;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Conversations kept per {@code X-Session-Id}, per tenant, in Redis: a list of {@code {role,
 * content}} bounded to the last {@code session-max-messages}, expiring {@code session-ttl} after its
 * last use.
 *
 * <p>The rule over HTTP: the model sees exactly the messages of the request, as any OpenAI client
 * expects (they send the whole history every time). The session records that conversation plus the
 * reply, so that learning has the context of a {@code [Learn]} message and stateful clients (the gRPC
 * Chat API) can continue it.
 */
@Singleton
public class Sessions {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
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

    /** Replaces the session's record with this conversation and its reply. */
    public void record(String tenant, String session, List<String[]> messages, String reply) {
        String key = key(tenant, session);
        RedisCommands<String, String> r = store.redis();
        List<String> items = new ArrayList<>();
        for (String[] m : messages) {
            items.add(item(m[0], m[1]));
        }
        if (reply != null) {
            items.add(item("assistant", reply));
        }
        // No MULTI: the connection is shared by every request. Concurrent writes to one session: last wins.
        r.del(key);
        if (!items.isEmpty()) {
            r.rpush(key, items.toArray(String[]::new));
        }
        r.ltrim(key, -config.sessionMaxMessages(), -1);
        r.expire(key, config.sessionTtl().toSeconds());
    }

    /** @return the whole recorded conversation, oldest first, as {@code [role, content]} */
    public List<String[]> history(String tenant, String session) {
        List<String[]> out = new ArrayList<>();
        for (String item : store.redis().lrange(key(tenant, session), 0, -1)) {
            try {
                var node = json.readTree(item);
                out.add(new String[] {node.path("role").asText(), node.path("content").asText()});
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

    private String item(String role, String content) {
        ObjectNode o = json.createObjectNode();
        o.put("role", role);
        o.put("content", content);
        return o.toString();
    }

    private static String key(String tenant, String session) {
        return "livetune:session:" + tenant + ":" + session;
    }
}
