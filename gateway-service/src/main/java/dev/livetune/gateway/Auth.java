package dev.livetune.gateway;

import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** Bearer keys to tenants, and the admin token. */
@Singleton
public class Auth {

    private final ApiKeys keys;
    private final GatewayConfig config;

    Auth(ApiKeys keys, GatewayConfig config) {
        this.keys = keys;
        this.config = config;
    }

    /** @return the caller's tenant; 401 in OpenAI's shape otherwise */
    public String tenant(String authorization) {
        String key = bearer(authorization);
        if (key == null) {
            throw OpenAiException.unauthorized("missing API key: send 'Authorization: Bearer <key>'");
        }
        return keys.tenantOf(key).orElseThrow(() -> OpenAiException.unauthorized("incorrect or revoked API key"));
    }

    /** @return the caller's tenant and what its key may do; 401 in OpenAI's shape otherwise */
    public ApiKeys.Holder holder(String authorization) {
        String key = bearer(authorization);
        if (key == null) {
            throw OpenAiException.unauthorized("missing API key: send 'Authorization: Bearer <key>'");
        }
        return keys.holder(key).orElseThrow(() -> OpenAiException.unauthorized("incorrect or revoked API key"));
    }

    /** @return the caller's tenant, whose key may teach; 401 or 403 otherwise */
    public String teacher(String authorization) {
        ApiKeys.Holder h = holder(authorization);
        if (!h.mayTeach()) {
            throw notATeacher();
        }
        return h.tenant();
    }

    static OpenAiException notATeacher() {
        return OpenAiException.forbidden("insufficient_scope", "this API key may not teach (it lacks the 'teach' scope);"
                + " ask the tenant's administrator for a key that may");
    }

    /** Requires the admin token. */
    public void admin(String authorization) {
        String expected = config.adminToken().orElseThrow(() -> OpenAiException.unauthorized(
                "the admin API is disabled: set livetune.gateway.admin-token"));
        String given = bearer(authorization);
        if (given == null || !MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                given.getBytes(StandardCharsets.UTF_8))) {
            throw OpenAiException.unauthorized("admin token missing or wrong");
        }
    }

    private static String bearer(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String v = authorization.substring(7).trim();
        return v.isEmpty() ? null : v;
    }
}
