package dev.livetune.gateway;

import jakarta.enterprise.context.RequestScoped;
import jakarta.ws.rs.core.HttpHeaders;

/**
 * Who is calling the HTTP API: the tenant whose API key the request's {@code Authorization: Bearer}
 * header carries (looked up once per request), or an operator with the admin token. A refusal is a
 * 401 in OpenAI's shape. The gRPC API has its own: {@code ChatGrpcService}'s interceptor carries the
 * header into the call's context.
 */
@RequestScoped
public class Caller {

    private final Auth auth;
    private final HttpHeaders headers;
    private String tenant;

    Caller(Auth auth, HttpHeaders headers) {
        this.auth = auth;
        this.headers = headers;
    }

    /** @return the calling tenant; 401 without a live key */
    public String tenant() {
        if (tenant == null) {
            tenant = auth.tenant(headers.getHeaderString(HttpHeaders.AUTHORIZATION));
        }
        return tenant;
    }

    /** @return the calling tenant, whose key may teach; 401 or 403 otherwise */
    public String teacher() {
        String t = auth.teacher(headers.getHeaderString(HttpHeaders.AUTHORIZATION));
        tenant = t;
        return t;
    }

    /** @return the calling tenant and what its key may do; 401 without a live key */
    public ApiKeys.Holder holder() {
        ApiKeys.Holder h = auth.holder(headers.getHeaderString(HttpHeaders.AUTHORIZATION));
        tenant = h.tenant();
        return h;
    }

    /** Requires the admin token; 401 otherwise. */
    public void admin() {
        auth.admin(headers.getHeaderString(HttpHeaders.AUTHORIZATION));
    }
}
