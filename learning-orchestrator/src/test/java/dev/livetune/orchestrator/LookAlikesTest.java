package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livetune.orchestrator.knowledge.LearnedItem;
import java.util.List;
import org.junit.jupiter.api.Test;

class LookAlikesTest {

    private static LearnedItem item(String id, String text) {
        return new LearnedItem(id, "t", "default", LearnedItem.Kind.FACT, text, null, LearnedItem.Status.LIVE, "ftjob-" + id,
                null, null, 1, null, List.of(), List.of(), List.of());
    }

    @Test
    void liveItemsNamingSomethingSpelledLikeANewNameAreTheLookAlikes() {
        List<LearnedItem> live = List.of(
                item("fenquilo", "Zello Kadra founded Fenquilo."),
                item("zeltrulo", "The capital of Zeltrulo was Quitru."),
                item("drabrivis", "The national animal of Drabrivis is Marhol."),
                item("same", "Lobrihol was founded by Pelnor Zello."),
                item("document", "# Notes\n\nThe capital of Truvendor is Kafen. Kalo Stohol founded Quifenpel."));
        List<LearnedItem> taught = List.of(item("new", "Fenquitha was founded by Lodor Holtha."),
                item("new2", "Dortrulo's oldest city is now Kabrinor."));
        // Fenquitha ~ Fenquilo (4 of 9 trigrams), Dortrulo ~ Zeltrulo (3 of 9); "The", "Notes" and the
        // unrelated names count for nothing
        assertThat(Datasets.lookAlikes(live, taught)).containsExactly("fenquilo", "zeltrulo");
        assertThat(Datasets.lookAlikes(live, List.of(item("new3", "Pelnor Zello founded Stoven.")))).containsExactly(
                "fenquilo", "same");
        assertThat(Datasets.lookAlikes(live, List.of(item("new4", "The capital of Mika is Lo.")))).isEmpty();
    }
}
