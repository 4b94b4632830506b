package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Web learning against a local SearXNG stand-in whose host is allowlisted on the workers: the page is
 * learned and answered; a redirect to the metadata address, a private address and a host name that
 * resolves to one are still refused, and those jobs fail saying why.
 */
@QuarkusTest
@QuarkusTestResource(PipelineStack.class)
@QuarkusTestResource(value = WebServer.class, restrictToAnnotatedClass = true)
class WebLearningTest {

    @Test
    void anAllowlistedPageIsLearnedAndInternalTargetsAreStillRefused() throws Exception {
        String tenant = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        Map<String, String> ok = LearnJobs.run(tenant, "web", "Zorbania capital", List.of());
        assertThat(ok.get("phase")).as(ok.toString()).isEqualTo("succeeded");
        assertThat(LearnJobs.ask(tenant, "What is the capital of Zorbania?")).contains("Quillport");

        // The same page on a host that is not allowlisted: loopback, refused.
        Map<String, String> loopback = LearnJobs.run(tenant, "web", "Zorbania capital loopback", List.of());
        assertThat(loopback.get("phase")).isEqualTo("failed");
        assertThat(loopback.get("error")).contains("no web page could be read").contains("localhost").contains("loopback");

        Map<String, String> metadata = LearnJobs.run(tenant, "web", "cloud metadata", List.of());
        assertThat(metadata.get("phase")).isEqualTo("failed");
        assertThat(metadata.get("error")).contains("169.254.169.254").contains("link-local");
        Map<String, String> internal = LearnJobs.run(tenant, "web", "private network", List.of());
        assertThat(internal.get("phase")).isEqualTo("failed");
        assertThat(internal.get("error")).contains("10.0.0.5").contains("private");
        Map<String, String> named = LearnJobs.run(tenant, "web", "intranet wiki", List.of());
        assertThat(named.get("phase")).isEqualTo("failed");
        assertThat(named.get("error")).contains("intranet.example").contains("10.0.0.5").contains("private");
    }

    /**
     * Issue 19 #16: web results trained every tenant's model. A tenant whose policy turns web
     * learning off gets no web job, even for a bare topic that only the orchestrator reads as one.
     */
    @Test
    void aTenantThatTurnedWebLearningOffLearnsNothingFromTheWeb() throws Exception {
        String tenant = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create("redis://localhost:6379");
        try (var redis = client.connect()) {
            new dev.livetune.state.TenantPolicies(redis::sync).put(tenant, Map.of("web_learning", "false"));
        } finally {
            client.shutdown();
        }
        Map<String, String> job = LearnJobs.run(tenant, "auto", "Zorbania capital", List.of());
        assertThat(job.get("mode")).as("a bare topic is web learning").isEqualTo("web");
        assertThat(job.get("phase")).isEqualTo("failed");
        assertThat(job.get("error")).contains("does not learn from the web");
    }
}
