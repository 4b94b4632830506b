package dev.livetune.gateway;

import io.lettuce.core.RedisException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * What the gateway settles before it reads a request body, ahead of every other route:
 * <ul>
 *   <li>an upload's API key is checked first: a stranger's 10 MB is refused before it is stored or parsed, 401;</li>
 *   <li>a body whose declared {@code Content-Length} is over its endpoint's limit (1 MiB, or the
 *       largest upload plus its multipart framing on {@code /v1/files}) is refused, 413.</li>
 * </ul>
 * Either answer is OpenAI's error JSON, and the refused body is read and dropped (up to
 * {@link #DRAIN_LIMIT}) so that a client still sending it gets the status rather than a connection
 * reset: Node's {@code fetch}, and so the openai SDK, reports a connection closed mid-upload as a
 * network error. A body over {@code quarkus.http.limits.max-body-size} never reaches this: Vert.x
 * answers it with a bare 413 and closes the connection.
 */
@ApplicationScoped
class RequestScreen {

    /** Boundaries, part headers and the {@code purpose} field around an upload. */
    static final long MULTIPART_FRAMING = 64 * 1024;
    /** Past this much of a refused body the connection is closed instead of reading it to its end. */
    static final long DRAIN_LIMIT = 16L << 20;

    private static final Logger LOG = Logger.getLogger(RequestScreen.class);
    private static final Set<HttpMethod> WITH_BODY = Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH);

    private final Auth auth;
    private final GatewayConfig config;

    RequestScreen(Auth auth, GatewayConfig config) {
        this.auth = auth;
        this.config = config;
    }

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(this::screen);
    }

    private void screen(RoutingContext ctx) {
        HttpServerRequest req = ctx.request();
        String path = req.path();
        if (path == null || !path.startsWith("/v1/") || !WITH_BODY.contains(req.method())) {
            ctx.next();
            return;
        }
        if (!path.equals("/v1/files")) {
            if (fits(ctx, ChatResource.MAX_BODY_BYTES, "")) {
                ctx.next();
            }
            return;
        }
        // An upload: who sends it first (a Redis call, off the event loop, with the body held back), then its size.
        req.pause();
        String authorization = req.getHeader(HttpHeaders.AUTHORIZATION);
        ctx.vertx().<String>executeBlocking(() -> auth.tenant(authorization), false).onComplete(checked -> {
            if (checked.succeeded()) {
                if (fits(ctx, config.maxFileBytes() + MULTIPART_FRAMING,
                        " (the largest file is " + config.maxFileBytes() + " bytes)")) {
                    ctx.next();
                }
            } else if (checked.cause() instanceof OpenAiException e) {
                refuse(ctx, e);
            } else if (checked.cause() instanceof RedisException e) {
                LOG.warn("Redis unavailable: " + e.getMessage());
                refuse(ctx, OpenAiException.unavailable("the gateway's store is unavailable; retry later", 5));
            } else {
                ctx.fail(checked.cause());
            }
        });
    }

    /** @return whether the declared body fits {@code limit}; when not, the request is refused (413) */
    private static boolean fits(RoutingContext ctx, long limit, String why) {
        long declared = declaredLength(ctx.request());
        if (declared <= limit) {
            return true;
        }
        refuse(ctx, OpenAiException.tooLarge("request body of " + declared + " bytes exceeds " + limit + why));
        return false;
    }

    private static long declaredLength(HttpServerRequest req) {
        String v = req.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (v == null) {
            return -1;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Reads the body to its end, dropping it, then answers {@code e}: a client that is still sending
     * reads no answer before it has sent all (Node's {@code fetch} then leaves the upload hanging). Past
     * {@link #DRAIN_LIMIT} it answers at once and closes the connection.
     */
    private static void refuse(RoutingContext ctx, OpenAiException e) {
        HttpServerRequest req = ctx.request();
        var res = ctx.response().setStatusCode(e.status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
        if (e.retryAfterSeconds != null) {
            res.putHeader("Retry-After", e.retryAfterSeconds.toString());
        }
        String body = ErrorMappers.json(e);
        if (req.isEnded()) {
            res.end(body);
            return;
        }
        long[] dropped = {0};
        req.handler(chunk -> {
            dropped[0] += chunk.length();
            if (dropped[0] > DRAIN_LIMIT && !res.ended()) {
                res.putHeader(HttpHeaders.CONNECTION, "close").end(body).onComplete(sent -> req.connection().close());
            }
        });
        req.endHandler(ended -> {
            if (!res.ended()) {
                res.end(body);
            }
        });
        req.exceptionHandler(ignored -> {
        });
        req.resume();
    }
}
