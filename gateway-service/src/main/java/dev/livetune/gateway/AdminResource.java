package dev.livetune.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.api.adapter.AdapterRef;
import dev.livetune.state.TenantPolicies;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;

/**
 * Tenant keys, for operators: {@code POST /admin/tenants/{tenant}/keys} (the key is in the answer,
 * once), {@code GET /admin/tenants/{tenant}/keys}, {@code DELETE /admin/keys/{id}}. Bearer admin token.
 */
@Path("/admin")
@Produces(MediaType.APPLICATION_JSON)
public class AdminResource {

    private final Caller caller;
    private final ApiKeys keys;
    private final TenantPolicies policies;
    private final ObjectMapper json = new ObjectMapper();

    AdminResource(Caller caller, ApiKeys keys, TenantPolicies policies) {
        this.caller = caller;
        this.keys = keys;
        this.policies = policies;
    }

    /**
     * A tenant's eval-gate policy, read by the learning orchestrator: {@code min_new_recall} and
     * {@code min_retention}, each in [0, 1]; keys left out keep the orchestrator's defaults.
     */
    @jakarta.ws.rs.PUT
    @Path("/tenants/{tenant}/policy")
    @jakarta.ws.rs.Consumes(MediaType.WILDCARD)
    public String setPolicy(@PathParam("tenant") String tenant,
            @RequestBody(required = true, content = @Content(mediaType = "application/json",
                    schema = @Schema(ref = "TenantPolicy"))) String body) {
        caller.admin();
        validTenant(tenant);
        com.fasterxml.jackson.databind.JsonNode p;
        try {
            p = json.readTree(body == null ? "" : body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw OpenAiException.invalid(null, "the request body is not valid JSON");
        }
        if (p == null || !p.isObject()) {
            throw OpenAiException.invalid(null, "send a JSON object with min_new_recall and/or min_retention");
        }
        java.util.Map<String, String> values = new java.util.LinkedHashMap<>();
        for (java.util.Iterator<String> it = p.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals("min_new_recall") && !k.equals("min_retention")) {
                throw OpenAiException.invalid(k, "unknown policy key '" + k + "'");
            }
            com.fasterxml.jackson.databind.JsonNode v = p.get(k);
            if (!v.isNumber() || v.asDouble() < 0 || v.asDouble() > 1) {
                throw OpenAiException.invalid(k, "'" + k + "' must be a number from 0 to 1");
            }
            values.put(k, Double.toString(v.asDouble()));
        }
        policies.put(tenant, values);
        return getPolicy(tenant);
    }

    @GET
    @Path("/tenants/{tenant}/policy")
    public String getPolicy(@PathParam("tenant") String tenant) {
        caller.admin();
        validTenant(tenant);
        ObjectNode o = json.createObjectNode();
        o.put("tenant", tenant);
        policies.get(tenant).forEach((k, v) -> o.put(k, Double.parseDouble(v)));
        return o.toString();
    }

    @POST
    @Path("/tenants/{tenant}/keys")
    public Response create(@PathParam("tenant") String tenant) {
        caller.admin();
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
    public String list(@PathParam("tenant") String tenant) {
        caller.admin();
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
    public String revoke(@PathParam("id") String id) {
        caller.admin();
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
