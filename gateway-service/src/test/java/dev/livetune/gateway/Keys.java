package dev.livetune.gateway;

import static io.restassured.RestAssured.given;

import java.util.UUID;

/** Makes a fresh tenant with a key through the admin API. */
final class Keys {

    private Keys() {
    }

    static String tenant() {
        return "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    static String keyFor(String tenant) {
        return given().header("Authorization", "Bearer " + GatewayStack.ADMIN).post("/admin/tenants/" + tenant + "/keys")
                .then().statusCode(201).extract().path("key");
    }
}
