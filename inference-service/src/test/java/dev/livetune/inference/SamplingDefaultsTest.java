package dev.livetune.inference;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livetune.api.inference.v1.ChatMessage;
import dev.livetune.api.inference.v1.ChatPrompt;
import dev.livetune.api.inference.v1.GenerateRequest;
import dev.livetune.api.inference.v1.SamplingParams;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A request that leaves sampling parameters out runs with the model's {@code generation_config.json}
 * defaults ({@link ServedModel#SAMPLING_DEFAULTS}); one that sets them runs with its own values. The
 * last chunk reports what the request ran with.
 */
@QuarkusTest
@QuarkusTestResource(ServedModel.class)
class SamplingDefaultsTest {

    @BeforeEach
    void serving() throws InterruptedException {
        Serving.await();
    }

    private static GenerateRequest request(SamplingParams.Builder sampling) {
        return GenerateRequest.newBuilder()
                .setChat(ChatPrompt.newBuilder().addMessages(ChatMessage.newBuilder().setRole("user").setContent("Hello!")))
                .setSampling(sampling.setIgnoreEos(true)).build();
    }

    @Test
    void parametersARequestLeavesOutComeFromTheModelsGenerationConfig() {
        Clients.Reply reply = Clients.collect(Clients.inference().generate(request(SamplingParams.newBuilder())));

        SamplingParams ran = reply.last().getSampling();
        var model = ServedModel.SAMPLING_DEFAULTS;
        assertThat(ran.getTemperature()).isEqualTo((float) model.temperature().getAsDouble());
        assertThat(ran.getTopP()).isEqualTo((float) model.topP().getAsDouble());
        assertThat(ran.getTopK()).isEqualTo(model.topK().getAsInt());
        assertThat(ran.getRepetitionPenalty()).isEqualTo((float) model.repetitionPenalty().getAsDouble());
        assertThat(ran.getMaxTokens()).isEqualTo(model.maxNewTokens().getAsInt());
        assertThat(reply.tokens()).as("max_new_tokens of the model, eos ignored").hasSize(model.maxNewTokens().getAsInt());
    }

    @Test
    void aValueTheRequestSetsAlwaysWins() {
        Clients.Reply reply = Clients.collect(Clients.inference().generate(request(SamplingParams.newBuilder()
                .setTemperature(1.5f).setTopP(1f).setTopK(0).setRepetitionPenalty(1f).setMaxTokens(3).setSeed(4))));

        SamplingParams ran = reply.last().getSampling();
        assertThat(ran.getTemperature()).isEqualTo(1.5f);
        assertThat(ran.getTopP()).isEqualTo(1f);
        assertThat(ran.getTopK()).isZero();
        assertThat(ran.getRepetitionPenalty()).isEqualTo(1f);
        assertThat(ran.getMaxTokens()).isEqualTo(3);
        assertThat(ran.getSeed()).isEqualTo(4);
        assertThat(reply.tokens()).hasSize(3);
    }

    @Test
    void temperatureZeroIsGreedyEvenWhenTheModelSamples() {
        GenerateRequest greedy = request(SamplingParams.newBuilder().setTemperature(0).setMaxTokens(8));
        Clients.Reply a = Clients.collect(Clients.inference().generate(greedy));
        Clients.Reply b = Clients.collect(Clients.inference().generate(greedy));

        assertThat(a.last().getSampling().getTemperature()).isZero();
        assertThat(a.tokens()).isEqualTo(b.tokens());
    }
}
