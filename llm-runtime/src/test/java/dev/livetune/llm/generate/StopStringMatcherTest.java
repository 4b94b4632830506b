package dev.livetune.llm.generate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopStringMatcherTest {

    @Test
    void holdsBackWhatMightStartAStopStringAndCutsBeforeIt() {
        StopStringMatcher m = new StopStringMatcher(List.of("</end>", "STOP"));
        assertThat(m.push("Hello <")).isEqualTo("Hello ");
        assertThat(m.push("/en")).isEmpty();
        assertThat(m.push("d> rest")).isEmpty();
        assertThat(m.stopped()).isTrue();
        assertThat(m.push("more")).isEmpty();
        assertThat(m.flush()).isEmpty();
    }

    @Test
    void releasesHeldTextOnceItCannotBecomeAStop() {
        StopStringMatcher m = new StopStringMatcher(List.of("STOP"));
        assertThat(m.push("ST")).isEmpty();
        assertThat(m.push("ATE")).isEqualTo("STATE");
        assertThat(m.push("ST")).isEmpty();
        assertThat(m.stopped()).isFalse();
        assertThat(m.flush()).isEqualTo("ST");
    }

    @Test
    void findsTheEarliestOfSeveralStops() {
        StopStringMatcher m = new StopStringMatcher(List.of("cd", "b"));
        assertThat(m.push("abcd")).isEqualTo("a");
        assertThat(m.stopped()).isTrue();
    }

    @Test
    void passesEverythingThroughWithoutStops() {
        StopStringMatcher m = new StopStringMatcher(List.of());
        assertThat(m.push("any<thing")).isEqualTo("any<thing");
        assertThat(m.flush()).isEmpty();
    }
}
