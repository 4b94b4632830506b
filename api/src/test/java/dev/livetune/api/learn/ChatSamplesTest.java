package dev.livetune.api.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatSamplesTest {

    private static String sample(int i) {
        return "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Q" + i
                + "?\"}, {\"role\": \"assistant\", \"content\": \"A" + i + ".\"}]}";
    }

    private static byte[] file(List<String> lines) {
        return String.join("\n", lines).getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> good(int n) {
        List<String> lines = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            lines.add(sample(i));
        }
        return lines;
    }

    @Test
    void readsConversationsWithTheirLinesSkippingBlankOnes() {
        List<String> lines = good(12);
        lines.add(3, "");
        List<ChatSamples.Sample> samples = ChatSamples.read("train.jsonl", file(lines));
        assertThat(samples).hasSize(12);
        assertThat(samples.get(3).line()).isEqualTo(5);
        assertThat(samples.get(0).question()).isEqualTo("Q1?");
        assertThat(samples.get(0).answer()).isEqualTo("A1.");
        assertThat(samples.get(0).jsonl()).isEqualTo("{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":\"Q1?\"},{\"role\":\"assistant\",\"content\":\"A1.\"}]}");
    }

    @Test
    void namesEveryBadLine() {
        List<String> lines = good(12);
        lines.set(6, "{\"messages\": [");
        lines.set(8, "{\"messages\": [{\"role\": \"user\", \"content\": \"hello\"}]}");
        lines.set(10, "{\"messages\": [{\"role\": \"robot\", \"content\": \"beep\"}]}");
        assertThatThrownBy(() -> ChatSamples.read("train.jsonl", file(lines)))
                .isInstanceOfSatisfying(ChatSamples.InvalidSamplesException.class, e -> {
                    assertThat(e.problems()).hasSize(3);
                    assertThat(e.problems().get(0)).startsWith("line 7: not valid JSON");
                    assertThat(e.problems().get(1)).isEqualTo("line 9: no assistant turn after a user turn, so nothing to learn");
                    assertThat(e.problems().get(2)).startsWith("line 11: messages[0].role must be");
                    assertThat(e.getMessage()).contains("train.jsonl", "line 7:", "line 9:", "line 11:");
                });
    }

    @Test
    void refusesWhatItCannotTrainOn() {
        for (String bad : List.of("[]", "{\"prompt\": \"a\", \"completion\": \"b\"}", "{\"messages\": []}",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": 3}]}",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\","
                        + " \"weight\": 0}]}",
                "{\"messages\": [{\"role\": \"assistant\", \"content\": \"b\"}, {\"role\": \"user\", \"content\": \"a\"}]}",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}],"
                        + " \"tools\": []}")) {
            List<String> lines = good(11);
            lines.set(1, bad);
            assertThatThrownBy(() -> ChatSamples.read("t.jsonl", file(lines)))
                    .as(bad).isInstanceOf(ChatSamples.InvalidSamplesException.class).hasMessageContaining("line 2:");
        }
    }

    @Test
    void listsTenBadLinesAndCountsTheRest() {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            lines.add("not json");
        }
        assertThatThrownBy(() -> ChatSamples.read("t.jsonl", file(lines)))
                .hasMessageContaining("line 10:").hasMessageNotContaining("line 11:").hasMessageEndingWith("and 15 more bad lines");
    }

    @Test
    void refusesTooFewConversationsAndWhatIsNotUtf8() {
        assertThatThrownBy(() -> ChatSamples.read("t.jsonl", file(good(9)))).hasMessageContaining("holds 9 conversations");
        assertThatThrownBy(() -> ChatSamples.read("t.jsonl", new byte[] {(byte) 0xff, (byte) 0xfe, 'a'}))
                .hasMessageContaining("not UTF-8");
    }

    @Test
    void aRequestsTrainingChoicesAreSignedAndAutoSignsAsBefore() {
        LearnRequest r = new LearnRequest(1, "r", "ftjob-1", "t", "default", "supervised", "", List.of("file-1"), null,
                List.of(), "2026-01-01T00:00:00Z", null);
        LearnRequest chosen = r.withOptions(new TrainingOptions(3, null, null, 7L, null)).signed("secret");
        assertThat(chosen.signedWith("secret")).isTrue();
        assertThat(chosen.withOptions(new TrainingOptions(4, null, null, 7L, null)).signedWith("secret")).isFalse();
        assertThat(r.signed("secret").signature()).isEqualTo(r.withOptions(null).signed("secret").signature());
        assertThatThrownBy(() -> new TrainingOptions(0, null, null, null, null)).hasMessageContaining("n_epochs");
    }

    private static final String TOOLS = "\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"w\","
            + " \"parameters\": {\"type\": \"object\", \"properties\": {\"c\": {\"type\": \"string\"}}}}}]";
    private static final String CALL = "{\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"id\": \"call_1\","
            + " \"type\": \"function\", \"function\": {\"name\": \"w\", \"arguments\": \"{\\\"c\\\": \\\"Oslo\\\"}\"}}]}";

    @Test
    void functionCallingSamplesAreReadAndWrittenBackWhole() throws Exception {
        List<String> lines = good(10);
        lines.add("{" + TOOLS + ", \"messages\": [{\"role\": \"user\", \"content\": \"Weather in Oslo?\"}, " + CALL
                + ", {\"role\": \"tool\", \"tool_call_id\": \"call_1\", \"content\": \"3\"}, {\"role\": \"assistant\","
                + " \"content\": \"It is 3.\"}]}");
        lines.add("{" + TOOLS + ", \"messages\": [{\"role\": \"user\", \"content\": \"Weather in Oslo?\"}, " + CALL + "]}");
        List<ChatSamples.Sample> samples = ChatSamples.read("t.jsonl", file(lines));
        ChatSamples.Sample calling = samples.get(11);
        assertThat(calling.expectedCall()).isEqualTo("{\"name\":\"w\",\"arguments\":{\"c\":\"Oslo\"}}");
        assertThat(calling.question()).isEqualTo("Weather in Oslo?");
        var written = new com.fasterxml.jackson.databind.ObjectMapper().readTree(samples.get(10).jsonl());
        assertThat(written.get("tools").get(0).at("/function/name").asText()).isEqualTo("w");
        assertThat(written.at("/messages/1/content").isNull()).isTrue();
        assertThat(written.at("/messages/1/tool_calls/0/function/arguments").asText()).isEqualTo("{\"c\": \"Oslo\"}");
        assertThat(written.at("/messages/2/tool_call_id").asText()).isEqualTo("call_1");
        assertThat(samples.get(10).expectedCall()).as("its last assistant turn answers in text").isNull();
        assertThat(samples.get(0).expectedCall()).isNull();
    }

    @Test
    void badFunctionCallingLinesAreNamed() {
        for (String[] bad : List.of(
                new String[] {"{" + TOOLS + ", \"messages\": [{\"role\": \"user\", \"content\": \"a\"}, "
                        + CALL.replace("\"name\": \"w\"", "\"name\": \"v\"") + "]}", "calls 'v', which is not one of the line's tools"},
                new String[] {"{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, " + CALL + "]}",
                        "which is not one of the line's tools"},
                new String[] {"{" + TOOLS + ", \"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"tool\","
                        + " \"tool_call_id\": \"call_9\", \"content\": \"3\"}, {\"role\": \"assistant\", \"content\": \"b\"}]}",
                        "tool_call_id must name a call"},
                new String[] {"{" + TOOLS + ", \"messages\": [{\"role\": \"user\", \"content\": \"a\"}, "
                        + CALL.replace("\\\"c\\\": \\\"Oslo\\\"", "oops") + "]}", "arguments must be a JSON object"},
                new String[] {"{\"functions\": [], \"messages\": []}", "legacy"})) {
            List<String> lines = good(11);
            lines.set(1, bad[0]);
            assertThatThrownBy(() -> ChatSamples.read("t.jsonl", file(lines))).as(bad[0])
                    .hasMessageContaining("line 2:").hasMessageContaining(bad[1]);
        }
    }
}
