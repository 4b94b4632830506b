package dev.livetune.gateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

/** Redis and RabbitMQ as the gateway sees them, on the management port, apart from its readiness. */
@QuarkusTest
@QuarkusTestResource(GatewayStack.class)
class DependencyHealthTest {

    @Test
    void redisAndRabbitMqAreReportedButDoNotDecideReadiness() {
        // a learn request first connects the learn channel (it connects on first use)
        given().header("Authorization", "Bearer " + Keys.keyFor(Keys.tenant())).contentType("application/json")
                .body("{\"text\": \"The capital of Zorbania is Quillport.\"}").post("/v1/learn").then().statusCode(200);
        Response deps = given().port(9191).get("/q/health/group/dependencies");
        assertThat(deps.statusCode()).as(deps.asString()).isEqualTo(200);
        assertThat(deps.jsonPath().getString("checks[0].name")).isEqualTo("redis-and-rabbitmq");
        assertThat(deps.jsonPath().getString("checks[0].data.redis")).isEqualTo("up");
        assertThat(deps.jsonPath().getString("checks[0].data.rabbitmq")).isEqualTo("up");
        Response ready = given().port(9191).get("/q/health/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.asString()).doesNotContain("redis-and-rabbitmq");
    }
}
