package dev.livetune.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every error leaves as OpenAI's error JSON, whatever raised it. */
public class ErrorMappers {

    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** @return {@code {"error": {"message", "type", "param", "code"}}} */
    static String json(OpenAiException e) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode err = root.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type);
        err.put("param", e.param);
        err.put("code", e.code);
        return root.toString();
    }

    static Response response(OpenAiException e) {
        Response.ResponseBuilder b = Response.status(e.status).type(MediaType.APPLICATION_JSON).entity(json(e));
        if (e.retryAfterSeconds != null) {
            b.header("Retry-After", e.retryAfterSeconds);
        }
        return b.build();
    }

    @ServerExceptionMapper
    public Response openAi(OpenAiException e) {
        return response(e);
    }

    @ServerExceptionMapper
    public Response json(JsonProcessingException e) {
        return response(OpenAiException.invalid(null, "request body is not valid JSON: " + e.getOriginalMessage()));
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String message = switch (status) {
            case 404 -> "no such endpoint";
            case 405 -> "method not allowed on this endpoint";
            case 413 -> "request body too large";
            case 415 -> "send the body as application/json";
            default -> e.getMessage();
        };
        String type = status >= 500 ? "server_error" : "invalid_request_error";
        return response(new OpenAiException(status, type, null, null, message, null));
    }

    @ServerExceptionMapper
    public Response redis(io.lettuce.core.RedisException e) {
        LOG.warn("Redis unavailable: " + e.getMessage());
        return response(OpenAiException.unavailable("the gateway's store is unavailable; retry later", 5));
    }

    @ServerExceptionMapper
    public Response unexpected(RuntimeException e) {
        LOG.error("unexpected error", e);
        return response(new OpenAiException(500, "server_error", null, null, "internal error", null));
    }
}
