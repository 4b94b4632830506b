package dev.livetune.augment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.augment.AugmentResult;
import dev.livetune.api.augment.AugmentTask;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** One task through the worker: read, worked, its result; what is not a task is refused. */
class AugmentWorkerTest {

    private final ObjectMapper json = new ObjectMapper();

    private static Augmenter rules() {
        return new Augmenter(t -> new RulesTeacher(), QualityFilter.defaults(), Optional.empty(),
                new SafeFetcher(Set.of(), 1 << 20, Duration.ofSeconds(2)), 1, "unit");
    }

    private static AugmentTask task(String text) {
        return new AugmentTask(1, "job/0", "job", "req-0", "acme", "default", AugmentTask.STATEMENTS, text, List.of(),
                "message", "", 0, 4, null, null);
    }

    @Test
    void aTaskIsReadAndWorked() throws Exception {
        AugmentTask task = AugmentWorker.read(json.writeValueAsBytes(task("The capital of Land0 is City0.")));
        AugmentResult result = new AugmentWorker(rules()).work(task);
        assertThat(result.taskId()).isEqualTo("job/0");
        assertThat(result.error()).isNull();
        assertThat(result.samples()).isNotEmpty().allSatisfy(s -> assertThat(s.answer()).contains("City0"));
        assertThat(json.readValue(AugmentWorker.bytes(result), AugmentResult.class).taskId()).isEqualTo("job/0");
    }

    @Test
    void whatIsNotASchemaOneTaskIsRefused() {
        assertThatThrownBy(() -> AugmentWorker.read("not a task".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AugmentWorker.read("{\"schemaVersion\": 7}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("schema-1");
    }

    @Test
    void anAugmenterThatFailsGivesAResultWithItsError() throws Exception {
        Augmenter failing = new Augmenter(t -> {
            throw new IllegalStateException("teacher down");
        }, QualityFilter.defaults(), Optional.empty(), new SafeFetcher(Set.of(), 1 << 20, Duration.ofSeconds(2)), 1, "unit");
        AugmentResult result = new AugmentWorker(failing).work(task("The capital of Land1 is City1."));
        assertThat(result.error()).contains("teacher down");
        assertThat(result.samples()).isEmpty();
    }

    /**
     * Issue 19 #10: an {@link Error} in a task escaped the handler, which closed the worker's channel
     * for good while its health stayed UP. Now the task fails with the error named, the worker goes on,
     * and it reports itself fatal (augmentation-service's liveness turns DOWN).
     */
    @Test
    void anErrorFailsItsTaskAndMarksTheWorkerFatal() throws Exception {
        Teacher rules = new RulesTeacher();
        Teacher overflowing = new Teacher() {
            @Override
            public String name() {
                return "overflowing";
            }

            @Override
            public List<QA> selfInstruct(String statements, List<String> context, int perFact) {
                throw new StackOverflowError("deep");
            }

            @Override
            public List<QA> backtranslate(String title, String chunk, int n) throws java.io.IOException, InterruptedException {
                return rules.backtranslate(title, chunk, n);
            }

            @Override
            public List<ProbeQuestion> probes(String text) throws java.io.IOException, InterruptedException {
                return rules.probes(text);
            }
        };
        Augmenter augmenter = new Augmenter(t -> t.text().contains("BOOM") ? overflowing : rules, QualityFilter.defaults(),
                Optional.empty(), new SafeFetcher(Set.of(), 1 << 20, Duration.ofSeconds(2)), 1, "unit");
        AugmentWorker worker = new AugmentWorker(augmenter);
        assertThat(worker.fatal()).isNull();
        AugmentResult failed = worker.work(task("BOOM. The capital of Land2 is City2."));
        assertThat(failed.error()).contains("StackOverflowError");
        assertThat(worker.fatal()).isInstanceOf(StackOverflowError.class);
        assertThat(worker.work(task("The capital of Land3 is City3.")).samples()).as("the next task").isNotEmpty();
    }
}
