package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livetune.api.artifact.EvalReport;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The eval gate's reading of a report (issue 19 #18: it passed a report that had no new-knowledge recall). */
class EvalGateTest {

    @Test
    void aReportWithoutNewKnowledgeRecallFailsAJobThatAskedForIt() {
        EvalReport onlyRetention = new EvalReport(Map.of("retention", 1.0));
        assertThatThrownBy(() -> Pipeline.newKnowledgeRecall(onlyRetention, 3)).isInstanceOf(JobFailure.class)
                .hasMessageContaining("no new-knowledge recall").hasMessageContaining("3 new-knowledge probes");
        assertThat(Pipeline.newKnowledgeRecall(new EvalReport(Map.of("new", 0.25)), 3)).isEqualTo(0.25);
    }

    @Test
    void aJobWithNothingNewToRecallScoresOne() {
        assertThat(Pipeline.newKnowledgeRecall(new EvalReport(Map.of("forgotten", 0.0)), 0)).isEqualTo(1.0);
    }
}
