package dev.livetune.gateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livetune.api.trace.OtlpReceiver;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * A chat request is one trace from the client's {@code traceparent} through the gateway to the
 * inference replica: inference's {@code Generate} server span is the child of the gateway's gRPC
 * client span, both in the client's trace.
 */
@QuarkusTest
@QuarkusTestResource(GatewayStack.class)
class ChatTraceTest {

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        ThreadLocalRandom.current().nextBytes(b);
        b[0] |= 1; // never all zero (an invalid id)
        return HexFormat.of().formatHex(b);
    }

    /** The gateway's spans (its own, in memory); inference's come to the stack's OTLP collector. */
    @jakarta.inject.Inject
    io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter gatewaySpans;

    @Test
    void aChatIsOneTraceFromTheGatewayToInference() {
        String traceId = hex(16);
        String clientSpan = hex(8);
        given().header("Authorization", "Bearer " + Keys.keyFor(Keys.tenant()))
                .header("traceparent", "00-" + traceId + "-" + clientSpan + "-01").contentType("application/json")
                .body("{\"model\": \"livetune-base\", \"max_tokens\": 2, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}")
                .post("/v1/chat/completions").then().statusCode(200);

        OtlpReceiver.Received generate = await("inference's Generate span").atMost(Duration.ofSeconds(30))
                .until(() -> GatewayStack.collector.spans(traceId).stream().filter(s -> s.service().equals("livetune-inference"))
                        .findFirst(), java.util.Optional::isPresent).get();
        assertThat(generate.name()).isEqualTo("livetune.inference.v1.Inference/Generate");
        List<io.opentelemetry.sdk.trace.data.SpanData> gateway = await("the gateway's spans").atMost(Duration.ofSeconds(30))
                .until(() -> gatewaySpans.getFinishedSpanItems().stream().filter(s -> s.getTraceId().equals(traceId)).toList(),
                        spans -> spans.stream().anyMatch(s -> s.getSpanId().equals(generate.parentSpanId())));
        var caller = gateway.stream().filter(s -> s.getSpanId().equals(generate.parentSpanId())).findFirst().orElseThrow();
        assertThat(caller.getName()).isEqualTo("livetune.inference.v1.Inference/Generate");
        assertThat(caller.getKind()).isEqualTo(io.opentelemetry.api.trace.SpanKind.CLIENT);
        var request = gateway.stream().filter(s -> s.getParentSpanId().equals(clientSpan)).findFirst()
                .orElseThrow(() -> new AssertionError("no gateway span is the client's child: " + gateway));
        assertThat(request.getKind()).isEqualTo(io.opentelemetry.api.trace.SpanKind.SERVER);
        assertThat(request.getName()).as("the gateway's HTTP span").contains("/v1/chat/completions");
    }
}
