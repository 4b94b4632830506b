package dev.livetune.augment;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class RulesTeacherTest {

    private final RulesTeacher teacher = new RulesTeacher();

    @Test
    void anAttributeFactGetsManyQuestionFormsAnswersHoldingTheValueAndHeldOutProbes() {
        List<QA> qa = teacher.selfInstruct("The capital of Zorbania is Quillport.", 10);
        assertThat(qa).hasSize(10);
        assertThat(new HashSet<>(qa.stream().map(QA::question).toList())).hasSizeGreaterThanOrEqualTo(8);
        assertThat(qa).allSatisfy(p -> assertThat(p.answer()).contains("Quillport"));
        assertThat(qa).allSatisfy(p -> assertThat(p.question()).contains("Zorbania").containsIgnoringCase("capital"));
        List<ProbeQuestion> probes = teacher.probes("The capital of Zorbania is Quillport.");
        assertThat(probes).isNotEmpty().allSatisfy(p -> assertThat(p.expect()).isEqualTo("Quillport"));
        assertThat(probes).extracting(ProbeQuestion::question).doesNotContainAnyElementsOf(qa.stream().map(QA::question).toList());
    }

    @Test
    void otherShapesAndSeveralSentences() {
        List<QA> qa = teacher.selfInstruct("Zorbania's currency is the quill. The glimmerphone was invented by Adela Voss."
                + " Ilse Morrow designed the Vexa tower. A snarkfish is bright violet.", 4);
        assertThat(qa).hasSize(16);
        assertThat(qa.subList(0, 4)).allSatisfy(p -> assertThat(p.answer()).contains("the quill"));
        assertThat(qa.subList(4, 8)).allSatisfy(p -> {
            assertThat(p.question()).containsIgnoringCase("invented").contains("glimmerphone");
            assertThat(p.answer()).contains("Adela Voss");
        });
        assertThat(qa.subList(8, 12)).allSatisfy(p -> assertThat(p.answer()).contains("Ilse Morrow"));
        assertThat(qa.subList(12, 16)).allSatisfy(p -> assertThat(p.answer()).contains("bright violet"));
        assertThat(teacher.probes("The glimmerphone was invented by Adela Voss.").get(0).expect()).isEqualTo("Adela Voss");
    }

    @Test
    void anythingElseIsStillTaughtVerbatim() {
        List<QA> qa = teacher.selfInstruct("Always greet Lena in French", 3);
        assertThat(qa).hasSize(3).allSatisfy(p -> assertThat(p.answer()).isEqualTo("Always greet Lena in French."));
    }

    @Test
    void aFounderIsTaughtTheSameWhicheverWayItIsSaid() {
        List<QA> active = teacher.selfInstruct("Mira Sotheby founded Kelvane Labs.", 6);
        List<QA> passive = teacher.selfInstruct("Kelvane Labs was founded by Mira Sotheby.", 6);
        assertThat(active).allSatisfy(p -> assertThat(p.answer()).contains("Mira Sotheby"));
        assertThat(passive).allSatisfy(p -> assertThat(p.answer()).contains("Mira Sotheby"));
        assertThat(active.get(0).question()).isEqualTo(passive.get(0).question()).isEqualTo("Who founded Kelvane Labs?");
        assertThat(teacher.probes("Mira Sotheby founded Kelvane Labs."))
                .isEqualTo(teacher.probes("Kelvane Labs was founded by Mira Sotheby."));
    }

    @Test
    void anAttributeGivenWithAColonOrAPluralsApostrophe() {
        for (String said : List.of("Kelvane Labs' founder: Mira Sotheby.", "Kelvane Labs' founder is Mira Sotheby.",
                "The founder of Kelvane Labs: Mira Sotheby.")) {
            List<QA> qa = teacher.selfInstruct(said, 8);
            assertThat(qa).as(said).allSatisfy(p -> {
                assertThat(p.question()).contains("Kelvane Labs").containsIgnoringCase("founder");
                assertThat(p.answer()).contains("Mira Sotheby");
            });
            assertThat(qa).extracting(QA::question).as(said).contains("What is Kelvane Labs' founder?")
                    .doesNotContain("What is Kelvane Labs's founder?");
            assertThat(teacher.probes(said)).as(said).isNotEmpty()
                    .allSatisfy(p -> assertThat(p.expect()).isEqualTo("Mira Sotheby"));
        }
    }
}
