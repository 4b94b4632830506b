package dev.livetune.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.api.adapter.AdapterRef;
import dev.livetune.api.learn.LearnRequest;
import dev.livetune.state.AdapterStore;
import dev.livetune.state.KnowledgeIndex;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * What an alias has learned: {@code GET /v1/adapters/{alias}/items} lists its learned items (live ones;
 * {@code ?status=all} adds pending, retired, forgotten and rolled-back ones) from the index
 * learning-orchestrator keeps ({@link KnowledgeIndex}), read against the live version a rollback may
 * have moved back; {@code DELETE /v1/adapters/{alias}/items/{id}} starts a forget job
 * for one, as a {@code [Forget]} chat message does, and answers with the job.
 */
@Path("/v1/adapters/{alias}/items")
@Produces(MediaType.APPLICATION_JSON)
public class KnowledgeResource {

    private final Caller caller;
    private final KnowledgeIndex index;
    private final AdapterStore adapters;
    private final Learning learning;
    private final ObjectMapper json = new ObjectMapper();

    KnowledgeResource(Caller caller, KnowledgeIndex index, AdapterStore adapters, Learning learning) {
        this.caller = caller;
        this.index = index;
        this.adapters = adapters;
        this.learning = learning;
    }

    @GET
    public String list(@PathParam("alias") String alias,
            @QueryParam("status") String status) {
        String tenant = caller.tenant();
        boolean all = "all".equals(status);
        if (status != null && !all && !status.equals("live")) {
            throw OpenAiException.invalid("status", "'status' must be live (the default) or all");
        }
        String name = name(tenant, alias);
        int live = liveVersion(tenant, name);
        List<JsonNode> items = new ArrayList<>();
        for (String summary : items(tenant, name).values()) {
            JsonNode item = asServed(parse(summary), live);
            if (all || item.path("status").asText().equals("live")) {
                items.add(item);
            }
        }
        items.sort(Comparator.comparingInt((JsonNode i) -> i.path("version").asInt()).thenComparing(i -> i.path("id").asText()));
        ObjectNode root = json.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        items.forEach(data::add);
        return root.toString();
    }

    @DELETE
    @Path("/{id}")
    public String forget(@PathParam("alias") String alias,
            @PathParam("id") String id) {
        String tenant = caller.teacher();
        String name = name(tenant, alias);
        String summary = items(tenant, name).get(id);
        if (summary == null) {
            throw OpenAiException.notFound("item_not_found", "'" + name + "' has learned no item '" + id + "'");
        }
        int live = liveVersion(tenant, name);
        String status = asServed(parse(summary), live).path("status").asText();
        if (status.equals(ROLLED_BACK)) {
            throw OpenAiException.invalid("id", "item '" + id + "' is rolled_back: the live version, " + name + "@v" + live
                    + ", was trained before it, so there is nothing to forget");
        }
        if (!status.equals("live")) {
            throw OpenAiException.invalid("id", "item '" + id + "' is " + status + ", not live: there is nothing to forget");
        }
        LearnRequest r = learning.start(tenant, name, "forget", id, List.of(), null, List.of());
        ObjectNode o = json.createObjectNode();
        o.put("id", id);
        o.put("object", "learned_item.deletion");
        o.put("job_id", r.jobId());
        return o.toString();
    }

    /** The status of an item a rollback took out of service, until the next release retires it. */
    static final String ROLLED_BACK = "rolled_back";

    /**
     * An item as the live version serves it: a live item learned after the live version (a rollback
     * went back past it) is {@value #ROLLED_BACK}. The orchestrator retires such items with the next
     * version it releases; until then the index still says live.
     */
    private static JsonNode asServed(JsonNode item, int liveVersion) {
        if (liveVersion > 0 && item.path("status").asText().equals("live") && item.path("version").asInt() > liveVersion) {
            return ((ObjectNode) item.deepCopy()).put("status", ROLLED_BACK);
        }
        return item;
    }

    /** @return the alias's live version, 0 for none */
    private int liveVersion(String tenant, String alias) {
        return adapters.live(tenant, alias).orElse(0);
    }

    private Map<String, String> items(String tenant, String alias) {
        return index.items(tenant, alias);
    }

    private static String name(String tenant, String alias) {
        try {
            return AdapterRef.parseModel(tenant, alias).name();
        } catch (IllegalArgumentException e) {
            throw OpenAiException.invalid("alias", "'" + alias + "' is not an adapter alias: " + e.getMessage());
        }
    }

    private JsonNode parse(String summary) {
        try {
            return json.readTree(summary);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a malformed learned-item summary in Redis", e);
        }
    }
}
