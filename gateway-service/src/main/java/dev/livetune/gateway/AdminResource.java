package dev.livetune.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.api.adapter.AdapterRef;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * Tenant keys, for operators: {@code POST /admin/tenants/{tenant}/keys} (the key is in the answer,
 * once), {@code GET /admin/tenants/{tenant}/keys}, {@code DELETE /admin/keys/{id}}. Bearer admin token.
 */
@Path("/admin")
@Produces(MediaType.APPLICATION_JSON)
public class AdminResource {

    private final Auth auth;
    private final ApiKeys keys;
    private final ObjectMapper json = new ObjectMapper();

    AdminResource(Auth auth, ApiKeys keys) {
        this.auth = auth;
        this.keys = keys;
    }

    @POST
    @Path("/tenants/{tenant}/keys")
    public Response create(@HeaderParam("Authorization") String authorization, @PathParam("tenant") String tenant) {
        auth.admin(authorization);
        validTenant(tenant);
        String key = keys.create(tenant);
        ObjectNode o = json.createObjectNode();
        o.put("tenant", tenant);
        o.put("id", key.substring(3, 19));
        o.put("key", key);
        return Response.status(201).entity(o.toString()).build();
    }

    @GET
    @Path("/tenants/{tenant}/keys")
    public String list(@HeaderParam("Authorization") String authorization, @PathParam("tenant") String tenant) {
        auth.admin(authorization);
        validTenant(tenant);
        ObjectNode o = json.createObjectNode();
        o.put("object", "list");
        ArrayNode data = o.putArray("data");
        for (ApiKeys.Key k : keys.list(tenant)) {
            data.addObject().put("id", k.id()).put("tenant", k.tenant()).put("created", k.created());
        }
        return o.toString();
    }

    @DELETE
    @Path("/keys/{id}")
    public String revoke(@HeaderParam("Authorization") String authorization, @PathParam("id") String id) {
        auth.admin(authorization);
        if (!keys.revoke(id)) {
            throw OpenAiException.notFound("key_not_found", "no key with id '" + id + "'");
        }
        return json.createObjectNode().put("id", id).put("deleted", true).toString();
    }

    private static void validTenant(String tenant) {
        try {
            AdapterRef.alias(tenant, "default");
        } catch (IllegalArgumentException e) {
            throw OpenAiException.invalid("tenant", e.getMessage());
        }
    }
}
