package dev.livetune.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.state.AdapterStore;
import dev.livetune.api.adapter.AdapterRef;
import io.vertx.core.http.HttpServerResponse;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.core.Context;
import java.util.Map;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * {@code GET /v1/models}: the base model, then the caller's adapters — each alias (always
 * {@code default}) and each released version pinned as {@code alias@vN}, as the orchestrator
 * recorded them when it released them ({@link AdapterStore}). {@code DELETE /v1/models/{alias@vN}}
 * deletes a version that is not live: the orchestrator, which owns the artifacts, does it as a job
 * of mode {@code delete}, and the call answers when that job has ended.
 */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
public class ModelsResource {

    private final Caller caller;
    private final AdapterStore adapters;
    private final GatewayConfig config;
    private final ObjectMapper json = new ObjectMapper();

    private final Learning learning;

    ModelsResource(Caller caller, AdapterStore adapters, GatewayConfig config, Learning learning) {
        this.learning = learning;
        this.caller = caller;
        this.adapters = adapters;
        this.config = config;
    }

    @GET
    public String list() {
        String tenant = caller.tenant();
        ObjectNode root = json.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        for (String id : ids(tenant)) {
            model(data.addObject(), id, id.equals(config.baseModel()) ? "livetune" : tenant);
        }
        return root.toString();
    }

    @GET
    @Path("/{model}")
    public String get(@PathParam("model") String model) {
        String tenant = caller.tenant();
        if (!ids(tenant).contains(model)) {
            throw OpenAiException.notFound("model_not_found", "the model '" + model + "' does not exist");
        }
        ObjectNode o = json.createObjectNode();
        model(o, model, model.equals(config.baseModel()) ? "livetune" : tenant);
        return o.toString();
    }

    @DELETE
    @Path("/{model}")
    public String delete(@PathParam("model") String model, @Context HttpServerResponse response) throws InterruptedException {
        String tenant = caller.teacher();
        AdapterRef ref;
        try {
            ref = AdapterRef.parseModel(tenant, model);
        } catch (IllegalArgumentException e) {
            throw OpenAiException.notFound("model_not_found", "the model '" + model + "' does not exist");
        }
        if (ref.version().isEmpty()) {
            throw OpenAiException.invalid("model", "only a version can be deleted ('" + model + "@vN'); an alias is where"
                    + " a tenant's versions are taught");
        }
        int v = ref.version().getAsInt();
        if (!adapters.released(tenant, ref.name(), v)) {
            throw OpenAiException.notFound("model_not_found", "the model '" + model + "' does not exist");
        }
        if (adapters.live(tenant, ref.name()).orElse(0) == v) {
            throw new OpenAiException(409, "invalid_request_error", "model_is_live", "model", model + " is the live version"
                    + " of '" + ref.name() + "' and serves its chats; roll back to another version or teach a newer one"
                    + " first", null);
        }
        String id = learning.start(tenant, ref.name(), DELETE_MODE, Integer.toString(v), List.of(), null, List.of()).jobId();
        Map<String, String> job = learning.awaitEnd(id, response::closed);
        if (!"succeeded".equals(job.get("status"))) {
            throw new OpenAiException(409, "invalid_request_error", "delete_failed", "model",
                    "the deletion (" + id + ") ended " + job.get("status") + ": " + job.getOrDefault("error", "no reason given"),
                    null);
        }
        return json.createObjectNode().put("id", model).put("object", "model").put("deleted", true).toString();
    }

    /** The mode of the job that deletes a version (its text: the version number). */
    static final String DELETE_MODE = "delete";

    private List<String> ids(String tenant) {
        List<String> ids = new ArrayList<>();
        ids.add(config.baseModel());
        TreeSet<String> aliases = new TreeSet<>(adapters.aliases(tenant));
        aliases.add("default");
        for (String alias : aliases) {
            ids.add(alias);
            for (int v : adapters.versions(tenant, alias)) {
                ids.add(alias + "@v" + v);
            }
        }
        return ids;
    }

    private static void model(ObjectNode o, String id, String owner) {
        o.put("id", id);
        o.put("object", "model");
        o.put("created", 0);
        o.put("owned_by", owner);
    }
}
