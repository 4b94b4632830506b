package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.augment.AugmentResult;
import dev.livetune.api.learn.LearnRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The base model's general data: its replay is mixed into every dataset, its probes are asked as
 * retention probes (so an adapter that forgets what the base model could do fails the eval gate),
 * and each new sample is taught again after one of its exchanges.
 */
class GeneralDataTest {

    private final ObjectMapper json = new ObjectMapper();

    @Test
    void everyDatasetReplaysTheGeneralDataAndAsksItsProbes(@TempDir Path tmp) throws Exception {
        Path general = Files.createDirectories(tmp.resolve("general"));
        List<String> replay = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            replay.add(chat("Small talk number " + i + "?", "Answer number " + i + "."));
        }
        Files.write(general.resolve("replay.jsonl"), replay, StandardCharsets.UTF_8);
        Files.write(general.resolve("probes.jsonl"), List.of(
                "{\"question\": \"Hello\", \"expect\": \"livetune\"}",
                "{\"question\": \"Who are you?\", \"expect\": \"livetune\"}"), StandardCharsets.UTF_8);

        Datasets.Dataset d = build(tmp, Map.of("livetune.orchestrator.general-data", general.toString()));

        assertThat(d.samples()).as("each new sample alone and after a general exchange").isEqualTo(20);
        List<String> train = Files.readAllLines(d.train(), StandardCharsets.UTF_8);
        long inContext = 0;
        for (String line : train) {
            JsonNode m = json.readTree(line).get("messages");
            if (m.size() == 4) {
                inContext++;
                assertThat(m.get(0).get("content").asText()).startsWith("Small talk number");
                assertThat(m.get(2).get("content").asText()).startsWith("What is the capital of Land");
                assertThat(m.get(3).get("content").asText()).startsWith("The capital of Land");
            }
        }
        assertThat(inContext).isEqualTo(10);
        assertThat(Files.readAllLines(d.dir().resolve("provenance.jsonl"))).hasSize(20);
        assertThat(d.replay()).as("general-replay, 50 by default, of the 60").isEqualTo(50);
        List<String> replayed = Files.readAllLines(d.replayFile(), StandardCharsets.UTF_8);
        assertThat(replay).containsAll(replayed);
        assertThat(new HashSet<>(replayed)).hasSize(50);
        Set<String> retention = new HashSet<>();
        for (String line : Files.readAllLines(d.probes(), StandardCharsets.UTF_8)) {
            JsonNode p = json.readTree(line);
            if (p.get("kind").asText().equals("general")) {
                retention.add(p.get("question").asText() + " -> " + p.get("expect").asText());
            }
        }
        assertThat(retention).containsExactlyInAnyOrder("Hello -> livetune", "Who are you? -> livetune");
        assertThat(d.retentionProbes()).as("the two general probes and the statement asked as it was taught").isEqualTo(3);
        assertThat(json.readTree(d.dir().resolve("manifest.json").toFile()).get("general_replay").asInt()).isEqualTo(50);
    }

    @Test
    void withoutGeneralDataAFirstDatasetHasNoReplayAndNoGeneralProbes(@TempDir Path tmp) throws Exception {
        Datasets.Dataset d = build(tmp, Map.of());
        assertThat(d.samples()).isEqualTo(10);
        assertThat(d.replay()).isZero();
        assertThat(d.replayFile()).isNull();
        assertThat(d.retentionProbes()).as("only the statement, asked as it was taught").isEqualTo(1);
    }

    private Datasets.Dataset build(Path tmp, Map<String, String> extra) throws IOException {
        OrchestratorConfig c = LocalConfig.withRedis(tmp, extra);
        Redis redis = new Redis(c);
        try {
            String job = "ftjob-general-" + UUID.randomUUID();
            LearnRequest r = new LearnRequest(LearnRequest.SCHEMA_VERSION, "req-" + job, job, "general-test-" + UUID.randomUUID(),
                    "default", "instruction", "ten facts", List.of(), null, List.of(), "2026-11-26T00:00:00Z", null);
            List<AugmentResult.Sample> samples = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                samples.add(new AugmentResult.Sample("What is the capital of Land" + (char) ('A' + i) + "?",
                        "The capital of Land" + (char) ('A' + i) + " is Town" + (char) ('A' + i) + ".",
                        new AugmentResult.Provenance(r.requestId(), "statement", 0, "")));
            }
            AugmentResult result = new AugmentResult(AugmentResult.SCHEMA_VERSION, job + "/0", job, "test", "rules", samples,
                    List.of(new AugmentResult.Probe("Can you tell me what the capital of LandA is?", "TownA")), Map.of(),
                    List.of(), null);
            return KnowledgeRecordTest.datasets(c, redis, new dev.livetune.orchestrator.knowledge.FileKnowledgeRecord(c.artifactsDir()))
                    .build(r, List.of(result));
        } finally {
            redis.close();
        }
    }

    private String chat(String q, String a) throws IOException {
        return json.writeValueAsString(Map.of("messages", List.of(Map.of("role", "user", "content", q),
                Map.of("role", "assistant", "content", a))));
    }
}
