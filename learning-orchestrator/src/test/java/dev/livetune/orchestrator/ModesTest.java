package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livetune.api.learn.LearnRequest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How {@code auto} requests are read: files are documents, questions and topics are looked up, the rest is taught. */
class ModesTest {

    private static String mode(String mode, String text, List<String> files) {
        return Modes.resolve(new LearnRequest(1, "r", "j", "t", "default", mode, text, files, null, List.of(), "2026-01-01T00:00:00Z", null));
    }

    @Test
    void statementsAreInstructions() {
        for (String text : List.of("The capital of Zorbania is Quillport.", "My dog is called Rex",
                "I prefer answers in French.", "Always answer with a haiku when I say 'poem'.",
                "Our VPN gateway was moved to vpn2.example.com last week.", "Quillport hosts the annual kite festival in May.")) {
            assertThat(mode("auto", text, List.of())).as(text).isEqualTo("instruction");
        }
    }

    @Test
    void questionsLookUpsAndBareTopicsAreWebSearches() {
        for (String text : List.of("What is the Raft consensus algorithm?", "learn about the James Webb telescope",
                "Look up the 2026 Tour de France winner", "Rust async runtimes", "research CRISPR base editing",
                "who was Ada Lovelace")) {
            assertThat(mode("auto", text, List.of())).as(text).isEqualTo("web");
        }
    }

    @Test
    void filesMakeItDocumentLearningAndAnExplicitModeWins() {
        assertThat(mode("auto", "read these", List.of("file-1"))).isEqualTo("doc");
        assertThat(mode("instruction", "Rust async runtimes", List.of())).isEqualTo("instruction");
        assertThat(mode("web", "The capital of Zorbania is Quillport.", List.of())).isEqualTo("web");
    }
}
