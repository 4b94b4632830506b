package dev.livetune.gateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Per-tenant request quota: over it, 429 with Retry-After in OpenAI's error shape; other tenants unaffected. */
@QuarkusTest
@QuarkusTestResource(GatewayStack.class)
@TestProfile(QuotaTest.ThreePerMinute.class)
class QuotaTest {

    public static class ThreePerMinute implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("livetune.gateway.requests-per-minute", "3");
        }
    }

    @Test
    void theFourthRequestInAMinuteIsRateLimited() {
        String a = Keys.keyFor(Keys.tenant());
        String body = "{\"model\": \"livetune-base\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 2}";
        int limited = 0;
        Response last = null;
        for (int i = 0; i < 4; i++) {
            last = given().header("Authorization", "Bearer " + a).contentType("application/json").body(body)
                    .post("/v1/chat/completions");
            if (last.statusCode() == 429) {
                limited++;
            } else {
                assertThat(last.statusCode()).isEqualTo(200);
            }
        }
        // Three fit in a minute window; a window boundary in the middle could let one more through.
        assertThat(limited).isBetween(0, 1);
        if (limited == 0) {
            last = given().header("Authorization", "Bearer " + a).contentType("application/json").body(body)
                    .post("/v1/chat/completions");
            for (int i = 0; i < 3 && last.statusCode() != 429; i++) {
                last = given().header("Authorization", "Bearer " + a).contentType("application/json").body(body)
                        .post("/v1/chat/completions");
            }
        }
        assertThat(last.statusCode()).isEqualTo(429);
        assertThat(Integer.parseInt(last.header("Retry-After"))).isBetween(1, 60);
        assertThat(last.jsonPath().getString("error.type")).isEqualTo("rate_limit_error");
        assertThat(last.jsonPath().getString("error.code")).isEqualTo("rate_limit_exceeded");
        // Another tenant has its own quota.
        String b = Keys.keyFor(Keys.tenant());
        given().header("Authorization", "Bearer " + b).contentType("application/json").body(body)
                .post("/v1/chat/completions").then().statusCode(200);
    }
}
