package dev.livetune.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livetune.api.inference.v1.ChatMessage;
import dev.livetune.api.inference.v1.ChatPrompt;
import dev.livetune.api.inference.v1.FinishReason;
import dev.livetune.api.inference.v1.GenerateChunk;
import dev.livetune.api.inference.v1.GenerateRequest;
import dev.livetune.api.inference.v1.Tool;
import dev.livetune.api.inference.v1.ToolCall;
import dev.livetune.api.inference.v1.ToolChoice;
import dev.livetune.llm.LanguageModel;
import dev.livetune.llm.engine.TorchRuntime;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tools reach the model through its chat template, a required call is begun for the model, and what
 * may be a call is held back while streaming and released as text when it is not one. (The served
 * model has random weights: it never writes a valid call; the runtime's ToolCallFormatTest reads
 * valid ones, and the learn path teaches a model to write them.)
 */
@QuarkusTest
@QuarkusTestResource(ServedModel.class)
@TestProfile(ToolsTest.LongPrompts.class)
class ToolsTest {

    /** A tools block is a few hundred bytes, so a few hundred tokens of this byte-level model. */
    public static class LongPrompts implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("livetune.inference.max-prompt-tokens", "490");
        }
    }

    private static final String PARAMETERS = "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}";
    private static final Tool WEATHER = Tool.newBuilder().setName("get_weather").setDescription("Weather")
            .setParameters(PARAMETERS).build();

    @BeforeEach
    void serving() throws InterruptedException {
        Serving.await();
    }

    private static GenerateRequest.Builder ask(ChatPrompt.Builder prompt, int maxTokens) {
        GenerateRequest base = Clients.greedy("", "unused", maxTokens);
        return base.toBuilder().setChat(prompt);
    }

    private static ChatPrompt.Builder conversation() {
        return ChatPrompt.newBuilder()
                .addMessages(ChatMessage.newBuilder().setRole("user").setContent("Oslo?"))
                .addMessages(ChatMessage.newBuilder().setRole("assistant").addToolCalls(ToolCall.newBuilder()
                        .setId("call_1").setName("get_weather").setArguments("{\"city\": \"Oslo\"}")))
                .addMessages(ChatMessage.newBuilder().setRole("tool").setToolCallId("call_1").setContent("3"))
                .addMessages(ChatMessage.newBuilder().setRole("user").setContent("More?"));
    }

    @Test
    void theToolsAndCallsAreRenderedThroughTheChatTemplate() {
        Clients.Reply withTools = Clients.collect(Clients.inference().generate(ask(conversation().addTools(WEATHER), 4).build()));
        int expected;
        try (TorchRuntime rt = TorchRuntime.start(1); LanguageModel m = LanguageModel.load(ServedModel.root.resolve("model"), rt)) {
            Map<String, Object> function = new LinkedHashMap<>();
            function.put("name", "get_weather");
            function.put("description", "Weather");
            function.put("parameters", rt.json().readValue(PARAMETERS, LinkedHashMap.class));
            expected = m.encodeChat(List.of(dev.livetune.llm.tokenizer.ChatMessage.user("Oslo?"),
                    dev.livetune.llm.tokenizer.ChatMessage.toolCalls(List.of(new dev.livetune.llm.tools.ToolCall("call_1",
                            "get_weather", "{\"city\": \"Oslo\"}"))),
                    dev.livetune.llm.tokenizer.ChatMessage.toolResult("call_1", "3"),
                    dev.livetune.llm.tokenizer.ChatMessage.user("More?")),
                    List.of(Map.of("type", "function", "function", function)), "").length;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertThat(withTools.last().getUsage().getPromptTokens()).isEqualTo(expected);
        Clients.Reply without = Clients.collect(Clients.inference().generate(ask(conversation(), 4).build()));
        assertThat(without.last().getUsage().getPromptTokens()).as("the tools block costs tokens")
                .isLessThan(expected - PARAMETERS.length());
    }

    @Test
    void aRequiredCallIsBegunForTheModelAndHeldBackUntilItIsKnownNotToBeOne() {
        GenerateRequest request = ask(ChatPrompt.newBuilder()
                .addMessages(ChatMessage.newBuilder().setRole("user").setContent("Oslo?")).addTools(WEATHER)
                .setToolChoice(ToolChoice.TOOL_CHOICE_REQUIRED).setToolName("get_weather"), 12).build();
        List<GenerateChunk> chunks = new ArrayList<>();
        Clients.inference().generate(request).forEachRemaining(chunks::add);
        GenerateChunk last = chunks.get(chunks.size() - 1);
        assertThat(chunks.subList(0, chunks.size() - 1)).as("nothing that may be a call is streamed")
                .allSatisfy(c -> assertThat(c.getText()).isEmpty());
        // random weights write no valid arguments: the whole reply, from the opening written for it, is text
        assertThat(last.getToolCallsList()).isEmpty();
        assertThat(last.getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_LENGTH);
        assertThat(last.getText()).startsWith("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": ")
                .hasSizeGreaterThan("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": ".length());
    }

    @Test
    void toolsThatCannotBeRenderedOrChosenAreInvalidArguments() {
        assertThatThrownBy(() -> Clients.collect(Clients.inference().generate(ask(conversation().addTools(WEATHER)
                .setToolChoice(ToolChoice.TOOL_CHOICE_REQUIRED).setToolName("get_time"), 4).build())))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains("tool_name 'get_time' is not one of the tools");
                });
        assertThatThrownBy(() -> Clients.collect(Clients.inference().generate(ask(conversation()
                .addTools(WEATHER.toBuilder().setParameters("{not json")), 4).build())))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                        assertThat(e.getStatus().getDescription()).contains("the parameters of 'get_weather' are not a JSON object"));
    }
}
