package dev.livetune.api.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class CallerTokensTest {

    private static final String SECRET = "a-secret-of-some-length";

    @Test
    void aTokenSpeaksForItsTenantUntilItExpires() {
        Instant now = Instant.parse("2026-12-07T12:00:00Z");
        CallerTokens tokens = new CallerTokens(SECRET, Clock.fixed(now, ZoneOffset.UTC));
        String token = tokens.mint("acme.eu", Duration.ofMinutes(5));
        assertThat(tokens.verify(token)).isEqualTo("acme.eu");
        CallerTokens later = new CallerTokens(SECRET, Clock.fixed(now.plusSeconds(301), ZoneOffset.UTC));
        assertThatThrownBy(() -> later.verify(token)).hasMessageContaining("expired");
    }

    @Test
    void forgedAlteredOrMalformedTokensAreRefused() {
        CallerTokens tokens = new CallerTokens(SECRET);
        String token = tokens.mint("acme", Duration.ofMinutes(5));
        assertThatThrownBy(() -> new CallerTokens("another-secret-entirely").verify(token)).hasMessageContaining("not signed");
        assertThatThrownBy(() -> tokens.verify(token.replace("lt1.acme.", "lt1.globex."))).hasMessageContaining("not signed");
        String far = token.substring(0, token.indexOf('.', 8)) + ".99999999999" + token.substring(token.lastIndexOf('.'));
        assertThatThrownBy(() -> tokens.verify(far)).as("a later expiry").hasMessageContaining("not signed");
        for (String bad : new String[] {"", "lt1.acme", "lt2.acme.1.x", "nonsense"}) {
            assertThatThrownBy(() -> tokens.verify(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> new CallerTokens("short")).hasMessageContaining("16 characters");
    }
}
