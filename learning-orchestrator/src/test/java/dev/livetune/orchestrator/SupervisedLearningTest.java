package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.artifact.ArtifactLayout;
import dev.livetune.api.learn.TrainingOptions;
import dev.livetune.augment.QA;
import dev.livetune.augment.RulesTeacher;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A tenant's own chat-format training file, trained as it is (mode {@code supervised}) with the
 * client's epochs and seed, then answered; a version that is no longer live deleted; a file that is
 * not training data failing its job with the bad lines named.
 */
@QuarkusTest
@QuarkusTestResource(PipelineStack.class)
class SupervisedLearningTest {

    private static final String[][] FACTS = {{"Quelmar", "Dravos"}, {"Tessik", "Ombrel"}, {"Varnoth", "Kestrel"},
            {"Ilsevar", "Pomrath"}, {"Drennick", "Saltern"}};

    private final ObjectMapper json = new ObjectMapper();
    private RedisClient client;
    private RedisCommands<String, String> redis;
    private String tenant;
    private Path files;

    @BeforeEach
    void connect() throws Exception {
        client = RedisClient.create("redis://localhost:6379");
        StatefulRedisConnection<String, String> c = client.connect();
        redis = c.sync();
        tenant = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        files = Files.createDirectories(PipelineStack.store.resolve("files").resolve(tenant));
    }

    @AfterEach
    void close() {
        client.shutdown();
    }

    /** Five facts, each in ten of the rules teacher's question forms: 50 conversations, some with a system turn. */
    private static List<String> conversations() {
        List<String> lines = new ArrayList<>();
        RulesTeacher teacher = new RulesTeacher();
        for (String[] fact : FACTS) {
            List<QA> qas = teacher.selfInstruct("The capital of " + fact[0] + " is " + fact[1] + ".", 10);
            assertThat(qas).hasSize(10);
            for (int i = 0; i < qas.size(); i++) {
                String system = i % 3 == 0 ? "{\"role\": \"system\", \"content\": \"You answer geography questions.\"}, " : "";
                lines.add("{\"messages\": [" + system + "{\"role\": \"user\", \"content\": \"" + qas.get(i).question()
                        + "\"}, {\"role\": \"assistant\", \"content\": \"" + qas.get(i).answer() + "\"}]}");
            }
        }
        return lines;
    }

    private String upload(String name, List<String> lines) throws Exception {
        String id = "file-" + UUID.randomUUID().toString().replace("-", "");
        Files.write(files.resolve(id), lines, StandardCharsets.UTF_8);
        redis.hset("livetune:file:" + id, Map.of("tenant", tenant, "filename", name, "bytes",
                Long.toString(Files.size(files.resolve(id))), "purpose", "fine-tune", "created_at", "0"));
        return id;
    }

    private Map<String, String> succeeded(String jobId) throws Exception {
        Map<String, String> job = LearnJobs.await(jobId);
        assertThat(job.get("phase")).as(String.join("\n", redis.lrange("livetune:job-events:" + jobId, 0, -1)))
                .isEqualTo("succeeded");
        return job;
    }

    @Test
    void theTenantsOwnConversationsAreTrainedWithItsChoicesAndAnswered() throws Exception {
        List<String> lines = conversations();
        String file = upload("geography.jsonl", lines);
        String jobId = LearnJobs.publish("ftjob-" + UUID.randomUUID().toString().replace("-", ""), tenant, "supervised", "",
                List.of(file), new TrainingOptions(12, 8, null, 7L, null));
        Map<String, String> job = succeeded(jobId);

        Path dataset = new ArtifactLayout(PipelineStack.store).dataset(tenant, jobId);
        List<String> train = Files.readAllLines(dataset.resolve("train.jsonl"), StandardCharsets.UTF_8);
        assertThat(train).hasSize(50);
        for (int i = 0; i < 50; i++) {
            // the conversation as it was given (roles and contents, in file order)
            assertThat(json.readTree(train.get(i))).isEqualTo(json.readTree(lines.get(i)));
        }
        JsonNode hyper = json.readTree(dataset.resolve("hyper.json").toFile());
        assertThat(hyper.get("num_train_epochs").asInt()).isEqualTo(12);
        assertThat(hyper.get("max_steps").asInt()).isEqualTo(-1);
        assertThat(hyper.get("seed").asLong()).isEqualTo(7L);
        assertThat(hyper.get("per_device_train_batch_size").asInt()).isEqualTo(8);
        List<String> probes = Files.readAllLines(dataset.resolve("probes.jsonl"), StandardCharsets.UTF_8);
        List<JsonNode> asked = new ArrayList<>();
        for (String p : probes) {
            JsonNode probe = json.readTree(p);
            if (probe.get("kind").asText().equals("new")) {
                asked.add(probe);
            }
        }
        // 20 conversations spread over the file, asked for what each answer adds (repeated questions asked once)
        assertThat(asked).hasSizeBetween(10, 20);
        assertThat(asked).allSatisfy(p -> assertThat(java.util.Arrays.stream(FACTS).map(f -> f[1]))
                .contains(p.get("expect").asText()));
        assertThat(redis.lrange("livetune:job-events:" + jobId, 0, -1)).anySatisfy(e -> assertThat(e).contains("supervised"));
        assertThat(job.get("fine_tuned_model")).isEqualTo("default@v" + job.get("version"));
        for (String[] fact : FACTS) {
            assertThat(LearnJobs.ask(tenant, "What is the capital of " + fact[0] + "?")).contains(fact[1]);
        }
    }

    private static final String WEATHER = "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\","
            + " \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}},"
            + " \"required\": [\"city\"]}}}";

    @Test
    void aFileOfFunctionCallsIsTrainedWithItsToolsAndProbedForTheCalls() throws Exception {
        List<String> lines = new ArrayList<>();
        String[] cities = {"Oslo", "Rome", "Lima"};
        for (int i = 0; i < 24; i++) {
            String city = cities[i % cities.length];
            lines.add("{\"tools\": [" + WEATHER + "], \"messages\": [{\"role\": \"user\", \"content\": \"Weather in "
                    + city + "?\"}, {\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"id\": \"call_" + i
                    + "\", \"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"arguments\":"
                    + " \"{\\\"city\\\": \\\"" + city + "\\\"}\"}}]}]}");
        }
        String file = upload("weather.jsonl", lines);
        String jobId = LearnJobs.publish("ftjob-" + UUID.randomUUID().toString().replace("-", ""), tenant, "supervised", "",
                List.of(file), new TrainingOptions(30, 8, null, 7L, null));
        Map<String, String> job = LearnJobs.await(jobId);
        Path dataset = new ArtifactLayout(PipelineStack.store).dataset(tenant, jobId);
        List<String> train = Files.readAllLines(dataset.resolve("train.jsonl"), StandardCharsets.UTF_8);
        assertThat(train).hasSize(24);
        assertThat(json.readTree(train.get(0))).isEqualTo(json.readTree(lines.get(0)));
        List<JsonNode> asked = new ArrayList<>();
        for (String p : Files.readAllLines(dataset.resolve("probes.jsonl"), StandardCharsets.UTF_8)) {
            JsonNode probe = json.readTree(p);
            if (probe.get("kind").asText().equals("new")) {
                asked.add(probe);
            }
        }
        // one probe per distinct question: each with the tool, expecting the call
        assertThat(asked).hasSize(3).allSatisfy(p -> {
            assertThat(p.at("/tools/0/function/name").asText()).isEqualTo("get_weather");
            String city = p.get("question").asText().replace("Weather in ", "").replace("?", "");
            assertThat(json.readTree(p.get("expect").asText())).isEqualTo(json.readTree(
                    "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"" + city + "\"}}"));
        });
        assertThat(job.get("phase")).as(String.join("\n", redis.lrange("livetune:job-events:" + jobId, 0, -1)))
                .isEqualTo("succeeded");
        JsonNode eval = json.readTree(new ArtifactLayout(PipelineStack.store)
                .version(tenant, "default", Integer.parseInt(job.get("version"))).resolve("eval.json").toFile());
        assertThat(eval.at("/recall/new").asDouble()).as(eval.toString()).isEqualTo(1.0);
    }

    @Test
    void aProbeLooksForWhatTheAnswerAdds() {
        assertThat(Datasets.expectation(sample("What is the capital of Norvessa?", "Norvessa's capital is Tamberlin.")))
                .isEqualTo("Tamberlin");
        assertThat(Datasets.expectation(sample("How do I reset my password?", "Open Settings, then Security.")))
                .isEqualTo("Settings");
        assertThat(Datasets.expectation(sample("Is it red?", "It is red."))).as("nothing new: the whole answer")
                .isEqualTo("It is red.");
    }

    private static dev.livetune.api.learn.ChatSamples.Sample sample(String q, String a) {
        return new dev.livetune.api.learn.ChatSamples.Sample(1, List.of(new dev.livetune.api.learn.ChatSamples.Message("user", q),
                new dev.livetune.api.learn.ChatSamples.Message("assistant", a)));
    }

    @Test
    void aVersionNoLongerLiveIsDeletedAndTheLiveOneIsNot() throws Exception {
        String file = upload("geography.jsonl", conversations());
        int first = Integer.parseInt(succeeded(LearnJobs.publish("ftjob-" + UUID.randomUUID().toString().replace("-", ""),
                tenant, "supervised", "", List.of(file), new TrainingOptions(1, null, null, null, null))).get("version"));
        int second = Integer.parseInt(succeeded(LearnJobs.publish("ftjob-" + UUID.randomUUID().toString().replace("-", ""),
                tenant, "supervised", "", List.of(file), new TrainingOptions(1, null, null, null, null))).get("version"));
        Path firstDir = new ArtifactLayout(PipelineStack.store).version(tenant, "default", first);
        assertThat(firstDir).isDirectory();

        Map<String, String> live = LearnJobs.run(tenant, "delete", Integer.toString(second), List.of());
        assertThat(live.get("phase")).isEqualTo("failed");
        assertThat(live.get("error")).contains("default@v" + second + " is the live version");
        assertThat(new ArtifactLayout(PipelineStack.store).version(tenant, "default", second)).isDirectory();

        Map<String, String> deleted = LearnJobs.run(tenant, "delete", Integer.toString(first), List.of());
        assertThat(deleted.get("phase")).isEqualTo("succeeded");
        assertThat(firstDir).doesNotExist();
        assertThat(redis.smembers("livetune:tenant-versions:" + tenant + ":default")).containsExactly(Integer.toString(second));
        Map<String, String> rollback = LearnJobs.run(tenant, "rollback", Integer.toString(first), List.of());
        assertThat(rollback.get("error")).contains("deleted");
    }

    @Test
    void aFileThatIsNotTrainingDataFailsItsJobNamingTheLines() throws Exception {
        List<String> lines = conversations();
        lines.set(6, "{\"messages\": [");
        lines.set(8, "{\"messages\": [{\"role\": \"user\", \"content\": \"hello\"}]}");
        String file = upload("broken.jsonl", lines);
        Map<String, String> job = LearnJobs.run(tenant, "supervised", "", List.of(file));
        assertThat(job.get("phase")).isEqualTo("failed");
        assertThat(job.get("error")).contains("broken.jsonl", "line 7: not valid JSON", "line 9: no assistant turn");
    }
}
