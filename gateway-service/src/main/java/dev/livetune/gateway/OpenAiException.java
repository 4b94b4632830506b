package dev.livetune.gateway;

/**
 * An error the client gets as OpenAI's error JSON:
 * {@code {"error": {"message", "type", "param", "code"}}} with an HTTP status.
 */
public class OpenAiException extends RuntimeException {

    final int status;
    final String type;
    final String param;
    final String code;
    final Integer retryAfterSeconds;

    public OpenAiException(int status, String type, String code, String param, String message, Integer retryAfterSeconds) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400 invalid_request_error, naming the parameter. */
    public static OpenAiException invalid(String param, String message) {
        return new OpenAiException(400, "invalid_request_error", null, param, message, null);
    }

    public static OpenAiException unauthorized(String message) {
        return new OpenAiException(401, "invalid_request_error", "invalid_api_key", null, message, null);
    }

    public static OpenAiException notFound(String code, String message) {
        return new OpenAiException(404, "invalid_request_error", code, null, message, null);
    }

    public static OpenAiException tooLarge(String message) {
        return new OpenAiException(413, "invalid_request_error", "request_too_large", null, message, null);
    }

    public static OpenAiException rateLimited(String message, int retryAfterSeconds) {
        return new OpenAiException(429, "rate_limit_error", "rate_limit_exceeded", null, message, retryAfterSeconds);
    }

    /** 429 for a tenant at a storage cap: retrying does not help until it deletes something, so no Retry-After. */
    public static OpenAiException storageFull(String message) {
        return new OpenAiException(429, "insufficient_quota", "storage_limit_reached", null, message, null);
    }

    /** 403: the caller is known but may not do this (a key without the scope, a tenant policy). */
    public static OpenAiException forbidden(String code, String message) {
        return new OpenAiException(403, "permission_error", code, null, message, null);
    }

    public static OpenAiException unavailable(String message, int retryAfterSeconds) {
        return new OpenAiException(503, "server_error", "service_unavailable", null, message, retryAfterSeconds);
    }
}
