package dev.livetune.api.auth;

import dev.livetune.api.adapter.AdapterRef;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Who may call inference-service's {@code Generate}, and for which tenant: a token
 * {@code lt1.<tenant>.<expiry epoch seconds>.<HMAC-SHA256>} made with a secret that the gateway, the
 * orchestrator and inference-service share (never the augmentation workers, which parse hostile web
 * pages: the orchestrator hands each of their tasks a token for that task's tenant alone, good for
 * an hour). The token travels in the call's {@value #HEADER} metadata; inference serves the base model
 * to any valid token and a tenant's adapters only to a token of that tenant.
 */
public final class CallerTokens {

    /** The gRPC metadata key that carries the token. */
    public static final String HEADER = "x-livetune-caller";

    private static final String VERSION = "lt1";
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final byte[] secret;
    private final Clock clock;

    public CallerTokens(String secret) {
        this(secret, Clock.systemUTC());
    }

    CallerTokens(String secret, Clock clock) {
        if (secret == null || secret.length() < 16) {
            throw new IllegalArgumentException("the Generate secret must have at least 16 characters");
        }
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
        this.clock = clock;
    }

    /** @return a token for {@code tenant}, good for {@code ttl} */
    public String mint(String tenant, Duration ttl) {
        AdapterRef.alias(tenant, "default"); // a valid tenant id, so the token splits back unambiguously
        long expiry = clock.instant().plus(ttl).getEpochSecond();
        String body = VERSION + "." + tenant + "." + expiry;
        return body + "." + sign(body);
    }

    /**
     * @return the tenant the token speaks for
     * @throws IllegalArgumentException saying why it is refused: malformed, forged or expired
     */
    public String verify(String token) {
        if (token == null || token.isEmpty()) {
            throw new IllegalArgumentException("no caller token (" + HEADER + ")");
        }
        String[] parts = token.split("\\.");
        // the tenant may hold dots: version . tenant... . expiry . signature
        if (parts.length < 4 || !parts[0].equals(VERSION)) {
            throw new IllegalArgumentException("malformed caller token");
        }
        int cut = token.lastIndexOf('.');
        String body = token.substring(0, cut);
        if (!MessageDigest.isEqual(sign(body).getBytes(StandardCharsets.US_ASCII),
                token.substring(cut + 1).getBytes(StandardCharsets.US_ASCII))) {
            throw new IllegalArgumentException("the caller token is not signed with this service's secret");
        }
        int expiryAt = body.lastIndexOf('.');
        long expiry;
        try {
            expiry = Long.parseLong(body.substring(expiryAt + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("malformed caller token");
        }
        if (clock.instant().getEpochSecond() > expiry) {
            throw new IllegalArgumentException("the caller token expired");
        }
        return body.substring(VERSION.length() + 1, expiryAt);
    }

    private String sign(String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return B64.encodeToString(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }
}
