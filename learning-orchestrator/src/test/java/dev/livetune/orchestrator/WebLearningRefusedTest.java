package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** With the default configuration (no allowlist), the same loopback page is refused and the job fails saying so. */
@QuarkusTest
@QuarkusTestResource(PipelineStack.class)
@QuarkusTestResource(value = WebServer.class, restrictToAnnotatedClass = true)
class WebLearningRefusedTest {

    @Test
    void aLoopbackPageIsRefusedByDefault() throws Exception {
        Map<String, String> job = LearnJobs.run("t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10),
                "web", "Zorbania capital", List.of());
        assertThat(job.get("phase")).isEqualTo("failed");
        assertThat(job.get("error")).contains("no web page could be read").contains("localhost").contains("loopback");
    }
}
