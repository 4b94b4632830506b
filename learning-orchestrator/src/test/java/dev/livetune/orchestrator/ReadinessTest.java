package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** The orchestrator is ready when Redis answers: its readiness holds the {@code redis} check. */
@QuarkusTest
@QuarkusTestResource(PipelineStack.class)
class ReadinessTest {

    @Test
    void readinessChecksRedis() throws Exception {
        HttpResponse<String> ready = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://localhost:8183/q/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        assertThat(ready.body()).contains("\"name\": \"redis\"", "\"status\": \"UP\"");
    }
}
