package dev.livetune.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.api.adapter.AdapterRef;
import dev.livetune.state.JobStore;
import dev.livetune.state.TenantPolicies;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;
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
    private final JobStore jobs;
    private final Learning learning;
    private final ObjectMapper json = new ObjectMapper();

    AdminResource(Caller caller, ApiKeys keys, TenantPolicies policies, JobStore jobs, Learning learning) {
        this.jobs = jobs;
        this.learning = learning;
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
            throw OpenAiException.invalid(null, "send a JSON object with min_new_recall, min_retention, web_learning and/or"
                    + " approval");
        }
        java.util.Map<String, String> values = new java.util.LinkedHashMap<>();
        for (java.util.Iterator<String> it = p.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals("min_new_recall") && !k.equals("min_retention") && !k.equals(TenantPolicies.WEB_LEARNING)
                    && !k.equals(TenantPolicies.APPROVAL)) {
                throw OpenAiException.invalid(k, "unknown policy key '" + k + "'");
            }
            com.fasterxml.jackson.databind.JsonNode v = p.get(k);
            if (k.equals(TenantPolicies.WEB_LEARNING) || k.equals(TenantPolicies.APPROVAL)) {
                if (!v.isBoolean()) {
                    throw OpenAiException.invalid(k, "'" + k + "' must be true or false");
                }
                values.put(k, Boolean.toString(v.asBoolean()));
                continue;
            }
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
        policies.get(tenant).forEach((k, v) -> {
            if (k.equals(TenantPolicies.WEB_LEARNING) || k.equals(TenantPolicies.APPROVAL)) {
                o.put(k, Boolean.parseBoolean(v));
            } else {
                o.put(k, Double.parseDouble(v));
            }
        });
        return o.toString();
    }

    /**
     * A new key for the tenant. The body may name its scopes: {@code {"scopes": ["chat"]}} makes a
     * key that chats but cannot teach; without a body a key may do both ({@code chat}, {@code teach}).
     */
    @POST
    @Path("/tenants/{tenant}/keys")
    @jakarta.ws.rs.Consumes(MediaType.WILDCARD)
    public Response create(@PathParam("tenant") String tenant,
            @RequestBody(content = @Content(mediaType = "application/json", schema = @Schema(ref = "KeyRequest"))) String body) {
        caller.admin();
        validTenant(tenant);
        java.util.Set<String> scopes = ApiKeys.ALL_SCOPES;
        if (body != null && !body.isBlank()) {
            com.fasterxml.jackson.databind.JsonNode b;
            try {
                b = json.readTree(body);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw OpenAiException.invalid(null, "the request body is not valid JSON");
            }
            if (b == null || !b.isObject()) {
                throw OpenAiException.invalid(null, "send a JSON object, e.g. {\"scopes\": [\"chat\"]}, or no body");
            }
            java.util.Iterator<String> names = b.fieldNames();
            while (names.hasNext()) {
                String k = names.next();
                if (!k.equals("scopes")) {
                    throw OpenAiException.invalid(k, "unknown key '" + k + "'");
                }
            }
            com.fasterxml.jackson.databind.JsonNode list = b.get("scopes");
            if (list != null) {
                if (!list.isArray()) {
                    throw OpenAiException.invalid("scopes", "'scopes' must be a list of chat and teach");
                }
                scopes = new java.util.TreeSet<>();
                for (com.fasterxml.jackson.databind.JsonNode v : list) {
                    if (!v.isTextual() || !ApiKeys.ALL_SCOPES.contains(v.asText())) {
                        throw OpenAiException.invalid("scopes", "'scopes' must be a list of chat and teach");
                    }
                    scopes.add(v.asText());
                }
                if (!scopes.contains(ApiKeys.CHAT)) {
                    throw OpenAiException.invalid("scopes", "every key may chat: 'scopes' must include chat");
                }
            }
        }
        String key = keys.create(tenant, scopes);
        ObjectNode o = json.createObjectNode();
        o.put("tenant", tenant);
        o.put("id", key.substring(3, 19));
        o.put("key", key);
        scopes.stream().sorted().forEach(o.putArray("scopes")::add);
        return Response.status(201).entity(o.toString()).build();
    }

    /** The tenant's jobs waiting for approval, oldest first, each with what it would learn. */
    @GET
    @Path("/tenants/{tenant}/jobs/pending")
    public String pending(@PathParam("tenant") String tenant) {
        caller.admin();
        validTenant(tenant);
        ObjectNode o = json.createObjectNode();
        o.put("object", "list");
        ArrayNode data = o.putArray("data");
        List<String> ids = new java.util.ArrayList<>(jobs.ofTenant(tenant));
        java.util.Collections.reverse(ids);
        for (String id : ids) {
            Map<String, String> j = jobs.get(id);
            if (!JobStore.PENDING_APPROVAL.equals(j.get("status"))) {
                continue;
            }
            ObjectNode item = data.addObject().put("id", id).put("model", j.get("adapter")).put("mode", j.get("mode"))
                    .put("created_at", Long.parseLong(j.get("created_at")));
            try {
                com.fasterxml.jackson.databind.JsonNode r = json.readTree(j.get("request"));
                item.put("text", r.path("text").asText());
                item.set("file_ids", r.path("fileIds"));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                item.putNull("text");
            }
        }
        return o.toString();
    }

    /** Approves a job waiting for it: it runs now. 409 when it is not waiting. */
    @POST
    @Path("/tenants/{tenant}/jobs/{id}/approve")
    public String approve(@PathParam("tenant") String tenant, @PathParam("id") String id) {
        caller.admin();
        validTenant(tenant);
        learning.approve(tenant, id);
        return json.createObjectNode().put("id", id).put("status", "queued").toString();
    }

    /** Denies a job waiting for approval ({@code {"reason": "..."}} optional): it ends cancelled. */
    @POST
    @Path("/tenants/{tenant}/jobs/{id}/deny")
    @jakarta.ws.rs.Consumes(MediaType.WILDCARD)
    public String deny(@PathParam("tenant") String tenant, @PathParam("id") String id,
            @RequestBody(content = @Content(mediaType = "application/json", schema = @Schema(ref = "DenyRequest"))) String body) {
        caller.admin();
        validTenant(tenant);
        String reason = null;
        if (body != null && !body.isBlank()) {
            try {
                com.fasterxml.jackson.databind.JsonNode b = json.readTree(body);
                if (b == null || !b.isObject() || (b.has("reason") && !b.get("reason").isTextual())) {
                    throw OpenAiException.invalid("reason", "send {\"reason\": \"...\"} or no body");
                }
                reason = b.path("reason").asText(null);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw OpenAiException.invalid(null, "the request body is not valid JSON");
            }
        }
        learning.deny(tenant, id, reason);
        return json.createObjectNode().put("id", id).put("status", "cancelled").toString();
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
            ObjectNode item = data.addObject().put("id", k.id()).put("tenant", k.tenant()).put("created", k.created());
            k.scopes().stream().sorted().forEach(item.putArray("scopes")::add);
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
