package dev.livetune.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.state.AdapterStore;
import jakarta.ws.rs.GET;
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
 * recorded them when it released them ({@link AdapterStore}).
 */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
public class ModelsResource {

    private final Caller caller;
    private final AdapterStore adapters;
    private final GatewayConfig config;
    private final ObjectMapper json = new ObjectMapper();

    ModelsResource(Caller caller, AdapterStore adapters, GatewayConfig config) {
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
