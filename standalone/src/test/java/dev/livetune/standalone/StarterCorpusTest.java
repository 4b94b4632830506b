package dev.livetune.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livetune.augment.QA;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StarterCorpusTest {

    private final List<QA> corpus = StarterModel.corpus(new Random(11));

    @Test
    void isTheSameEveryTimeSoAnInterruptedBuildResumes() {
        assertThat(StarterModel.corpus(new Random(11))).isEqualTo(corpus);
    }

    @Test
    void holdsSmallTalkUnknownsAndFacts() {
        Map<String, Long> bySource = new HashMap<>();
        corpus.forEach(qa -> bySource.merge(qa.source(), 1L, Long::sum));
        assertThat(bySource.get("small talk")).isGreaterThan(100);
        assertThat(bySource.get("unknown")).isGreaterThan(300);
        long facts = corpus.size() - bySource.get("small talk") - bySource.get("unknown");
        assertThat(facts).isGreaterThan(600);
        assertThat(corpus).filteredOn(qa -> qa.source().equals("unknown"))
                .allSatisfy(qa -> assertThat(qa.answer()).isEqualTo(StarterModel.I_DONT_KNOW));
    }

    @Test
    void neverTeachesTwoAnswersToOneQuestion() {
        Map<String, String> seen = new HashMap<>();
        for (QA qa : corpus) {
            String before = seen.putIfAbsent(qa.question(), qa.answer());
            if (before != null && !before.equals(qa.answer())) {
                // the same question may get different phrasings of one fact, never a fact and "I don't know"
                assertThat(List.of(before, qa.answer())).as(qa.question()).doesNotContain(StarterModel.I_DONT_KNOW);
            }
        }
    }
}
