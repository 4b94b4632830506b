package dev.livetune.gateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.livetune.api.chat.v1.ChatGrpc;
import dev.livetune.api.chat.v1.ChatRequest;
import dev.livetune.api.inference.v1.GenerateRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * What inference-service receives (read off {@link InferenceTap}): a sampling parameter the client
 * sets arrives as set, one it leaves out arrives unset, so that the model's own defaults apply.
 */
@QuarkusTest
@QuarkusTestResource(GatewayStack.class)
class SamplingPassThroughTest {

    private static final ManagedChannel CHANNEL = ManagedChannelBuilder.forAddress("localhost", 9181).usePlaintext().build();

    @AfterAll
    static void close() {
        CHANNEL.shutdownNow();
    }

    private static GenerateRequest received(String marker) {
        return GatewayStack.tap.generates().stream()
                .filter(r -> r.getChat().getMessagesList().stream().anyMatch(m -> m.getContent().contains(marker)))
                .reduce((a, b) -> b).orElseThrow(() -> new AssertionError("inference never received " + marker));
    }

    private static void http(String key, String marker, String sampling) {
        String body = "{\"model\": \"livetune-base\", \"messages\": [{\"role\": \"user\", \"content\": \"" + marker + "\"}]"
                + sampling + "}";
        var r = given().header("Authorization", "Bearer " + key).contentType("application/json").body(body)
                .post("/v1/chat/completions");
        assertThat(r.statusCode()).as(r.asString()).isEqualTo(200);
    }

    @Test
    void anExplicitTemperatureReachesInferenceAsSetOverHttp() {
        String key = Keys.keyFor(Keys.tenant());
        String hot = "hot " + UUID.randomUUID();
        http(key, hot, ", \"temperature\": 1.5, \"top_p\": 0.5, \"max_tokens\": 4");

        GenerateRequest r = received(hot);
        assertThat(r.getSampling().hasTemperature()).isTrue();
        assertThat(r.getSampling().getTemperature()).isEqualTo(1.5f);
        assertThat(r.getSampling().getTopP()).isEqualTo(0.5f);
        assertThat(r.getSampling().getMaxTokens()).isEqualTo(4);
    }

    @Test
    void parametersLeftOutOverHttpArriveUnsetSoTheModelsDefaultsApply() {
        String key = Keys.keyFor(Keys.tenant());
        String plain = "plain " + UUID.randomUUID();
        http(key, plain, "");

        GenerateRequest r = received(plain);
        assertThat(r.getSampling().hasTemperature()).isFalse();
        assertThat(r.getSampling().hasTopP()).isFalse();
        assertThat(r.getSampling().hasTopK()).isFalse();
        assertThat(r.getSampling().hasRepetitionPenalty()).isFalse();
        assertThat(r.getSampling().getMaxTokens()).as("0: the model's max_new_tokens").isZero();
    }

    @Test
    void theGrpcChatApiPassesTemperatureOnlyWhenSet() {
        Metadata md = new Metadata();
        md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + Keys.keyFor(Keys.tenant()));
        var stub = ChatGrpc.newBlockingStub(CHANNEL).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
        String hot = "hot " + UUID.randomUUID();
        String plain = "plain " + UUID.randomUUID();

        stub.chat(ChatRequest.newBuilder().setSessionId("s-" + UUID.randomUUID()).setModel("livetune-base").setMessage(hot)
                .setTemperature(1.5f).setMaxTokens(4).build()).forEachRemaining(c -> { });
        stub.chat(ChatRequest.newBuilder().setSessionId("s-" + UUID.randomUUID()).setModel("livetune-base").setMessage(plain)
                .setMaxTokens(4).build()).forEachRemaining(c -> { });

        assertThat(received(hot).getSampling().getTemperature()).isEqualTo(1.5f);
        assertThat(received(plain).getSampling().hasTemperature()).isFalse();
    }
}
