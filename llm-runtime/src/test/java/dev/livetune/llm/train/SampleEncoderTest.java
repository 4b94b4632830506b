package dev.livetune.llm.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livetune.llm.tokenizer.ByteLevelTokenizerWriter;
import dev.livetune.llm.tokenizer.ChatMessage;
import dev.livetune.llm.tokenizer.ChatTemplate;
import dev.livetune.llm.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loss on assistant turns only, tokenized as inference would see them (ChatML, byte-level tokenizer). */
class SampleEncoderTest {

    @TempDir
    static Path dir;
    static TextTokenizer tokenizer;
    static ChatTemplate template;

    @BeforeAll
    static void tokenizer() throws IOException {
        ByteLevelTokenizerWriter.write(dir, 300, 1024);
        tokenizer = TextTokenizer.load(dir).orElseThrow();
        template = tokenizer.chatTemplate().orElseThrow();
    }

    private static String trainedText(TokenizedSample s) {
        StringBuilder out = new StringBuilder();
        for (int t = 0; t < s.ids().length; t++) {
            out.append(s.trained()[t] ? tokenizer.decode(new int[] {s.ids()[t]}, false) : "|");
        }
        return out.toString().replaceAll("\\|+", "|");
    }

    @Test
    void trainsEveryAssistantTurnWithItsEndOfTurnAndNothingElse() {
        List<ChatMessage> chat = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi"),
                ChatMessage.assistant("Hello!"), ChatMessage.user("Capital of Zorbania?"),
                ChatMessage.assistant("Quillport."));
        TokenizedSample s = new SampleEncoder(tokenizer, template, 1024).encode(chat, "t line 1");

        assertThat(tokenizer.decode(s.ids(), false)).isEqualTo(template.render(chat, false));
        assertThat(trainedText(s)).isEqualTo("|Hello!<|im_end|>\n|Quillport.<|im_end|>\n");
        // The prompt of the last turn is exactly what inference encodes for that question.
        int[] prompt = tokenizer.encode(template.render(chat.subList(0, 4), true), false);
        assertThat(java.util.Arrays.copyOf(s.ids(), prompt.length)).isEqualTo(prompt);
    }

    @Test
    void cutsLongSamplesAndRefusesOnesWithNothingLeftToLearn() {
        List<ChatMessage> chat = List.of(ChatMessage.user("x".repeat(50)), ChatMessage.assistant("yes"));
        TokenizedSample cut = new SampleEncoder(tokenizer, template, 70).encode(chat, "t line 1");
        assertThat(cut.ids()).hasSize(70);
        assertThat(cut.trainedTokens()).isPositive();
        assertThatThrownBy(() -> new SampleEncoder(tokenizer, template, 40).encode(chat, "t line 9"))
                .isInstanceOf(InvalidTrainingInputException.class).hasMessageContaining("t line 9")
                .hasMessageContaining("max_length 40");
    }

    private static List<Integer> flat(TrainingPlan plan) {
        List<Integer> out = new java.util.ArrayList<>();
        plan.steps().forEach(step -> step.forEach(b -> b.forEach(seq -> {
            for (int i : seq) {
                out.add(i);
            }
            out.add(-1);
        })));
        return out;
    }

    @Test
    void packingFillsSequencesAndPlansAreFixedBySeed() {
        SampleEncoder encoder = new SampleEncoder(tokenizer, template, 1024);
        List<TokenizedSample> samples = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) {
            samples.add(encoder.encode(List.of(ChatMessage.user("q" + i), ChatMessage.assistant("a" + i)), "l" + i));
        }
        int len = samples.get(0).ids().length;
        HyperParameters packed = HyperParameters.of(Map.of("packing", true, "max_length", len * 3,
                "per_device_train_batch_size", 2, "num_train_epochs", 2));
        TrainingPlan plan = TrainingPlan.of(samples, packed);
        // 10 samples, 3 per sequence: 4 sequences, 2 micro-batches (= steps) per epoch.
        assertThat(plan.totalSteps()).isEqualTo(4);
        assertThat(plan.steps().get(0).get(0).get(0)).hasSize(3);
        java.util.Set<Integer> epoch0 = new java.util.HashSet<>();
        plan.steps().subList(0, 2).forEach(step -> step.forEach(b -> b.forEach(seq -> {
            for (int i : seq) {
                epoch0.add(i);
            }
        })));
        assertThat(epoch0).hasSize(10);
        assertThat(flat(TrainingPlan.of(samples, packed))).isEqualTo(flat(plan));
        assertThat(flat(TrainingPlan.of(samples, HyperParameters.of(Map.of("packing", true, "max_length", len * 3,
                "per_device_train_batch_size", 2, "num_train_epochs", 2, "seed", 1))))).isNotEqualTo(flat(plan));
        assertThat(plan.epochs()).containsExactly(0.5, 1.0, 1.5, 2.0);
    }
}
