package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 #14: results were not checked against the job's tasks. Any result naming a job counted
 * towards it, so a worker could complete a job early with made-up task ids (its real results then
 * missing from the dataset) or fill Redis with results for jobs that do not exist.
 */
class AugmentResultsTest {

    private Redis redis;
    private AugmentResults results;

    @BeforeEach
    void setUp() {
        OrchestratorConfig config = LocalConfig.withRedis(Path.of("target", "unused"), Map.of());
        redis = new Redis(config);
        results = new AugmentResults(redis);
    }

    @AfterEach
    void tearDown() {
        redis.close();
    }

    @Test
    void onlyResultsForTasksTheJobSentAreKeptAndCounted() {
        String job = "job-" + UUID.randomUUID();
        results.issue(job, List.of(job + "/0", job + "/1"));

        assertThat(results.put(job, job + "/7", "{\"forged\":true}")).as("a task the job never sent").isFalse();
        assertThat(results.put(job, job + "/0", "{\"n\":0}")).isTrue();
        assertThat(results.put(job, job + "/0", "{\"n\":\"again\"}")).as("a second result for a task is not an error").isTrue();
        assertThat(results.count(job)).as("the forged result does not count towards the job").isEqualTo(1);
        assertThat(results.all(job)).containsOnlyKeys(job + "/0").containsEntry(job + "/0", "{\"n\":0}");

        String madeUp = "job-" + UUID.randomUUID();
        assertThat(results.put(madeUp, madeUp + "/0", "{}")).as("a job that sent no tasks").isFalse();
        assertThat(redis.sync().exists("livetune:augment-results:" + madeUp)).as("nothing is stored for it").isZero();
    }
}
