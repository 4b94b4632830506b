package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livetune.api.inference.v1.ChatMessage;
import dev.livetune.api.inference.v1.ChatPrompt;
import dev.livetune.api.inference.v1.GenerateRequest;
import dev.livetune.api.inference.v1.InferenceGrpc;
import dev.livetune.api.inference.v1.SamplingParams;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Web learning against a local SearXNG stand-in whose host is allowlisted: the page is learned and
 * answered; a redirect to the metadata address and a private address are still refused, and those
 * jobs fail saying why.
 */
@QuarkusTest
@QuarkusTestResource(PipelineStack.class)
@QuarkusTestResource(value = WebServer.class, initArgs = @ResourceArg(name = "allow", value = "localhost"),
        restrictToAnnotatedClass = true)
class WebLearningTest {

    @Test
    void anAllowlistedPageIsLearnedAndInternalTargetsAreStillRefused() throws Exception {
        String tenant = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        Map<String, String> ok = WebJobs.run(tenant, "Zorbania capital");
        assertThat(ok.get("phase")).as(ok.toString()).isEqualTo("succeeded");
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", PipelineStack.INFERENCE_PORT).usePlaintext().build();
        try {
            StringBuilder text = new StringBuilder();
            InferenceGrpc.newBlockingStub(channel).generate(GenerateRequest.newBuilder().setAdapter(tenant + "/default")
                    .setChat(ChatPrompt.newBuilder().addMessages(ChatMessage.newBuilder().setRole("user")
                            .setContent("What is the capital of Zorbania?")))
                    .setSampling(SamplingParams.newBuilder().setMaxTokens(48).setTemperature(0)).build())
                    .forEachRemaining(c -> text.append(c.getText()));
            assertThat(text.toString()).contains("Quillport");
        } finally {
            channel.shutdownNow();
        }

        Map<String, String> metadata = WebJobs.run(tenant, "cloud metadata");
        assertThat(metadata.get("phase")).isEqualTo("failed");
        assertThat(metadata.get("error")).contains("169.254.169.254").contains("link-local");
        Map<String, String> internal = WebJobs.run(tenant, "private network");
        assertThat(internal.get("phase")).isEqualTo("failed");
        assertThat(internal.get("error")).contains("10.0.0.5").contains("private");
    }
}
