package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.augment.AugmentResult;
import dev.livetune.api.learn.LearnRequest;
import dev.livetune.augment.QA;
import dev.livetune.augment.RulesTeacher;
import dev.livetune.orchestrator.knowledge.FileKnowledgeRecord;
import dev.livetune.orchestrator.knowledge.KnowledgeRecord;
import dev.livetune.orchestrator.knowledge.LearnedItem;
import dev.livetune.state.AdapterStore;
import dev.livetune.state.FileIndex;
import dev.livetune.state.JobStore;
import dev.livetune.state.KnowledgeIndex;
import java.io.IOException;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * The knowledge record behind datasets: every accepted fact becomes a live item when its version is
 * released; every later dataset replays and probes every live item (however many there are); a
 * correction about the same subject retires the item it corrects, which is then neither replayed
 * nor probed.
 */
class KnowledgeRecordTest {

    private final ObjectMapper json = new ObjectMapper();
    private final RulesTeacher teacher = new RulesTeacher();
    private String tenant = "knowledge-test-" + UUID.randomUUID();

    @TempDir
    Path tmp;

    private OrchestratorConfig config;
    private Redis redis;
    private KnowledgeRecord record;
    private Datasets datasets;
    private int version;

    @BeforeEach
    void setUp() {
        config = LocalConfig.withRedis(tmp, Map.of());
        redis = new Redis(config);
        record = new FileKnowledgeRecord(config.artifactsDir());
        datasets = datasets(config, redis, record);
    }

    @AfterEach
    void tearDown() {
        redis.close();
    }

    /** Teaches one statement the way the pipeline does: dataset, then (released) activation. */
    private Datasets.Dataset teach(String statement) throws IOException {
        String job = "ftjob-" + UUID.randomUUID().toString().replace("-", "");
        LearnRequest r = new LearnRequest(LearnRequest.SCHEMA_VERSION, "req-" + job, job, tenant, "default", "instruction",
                statement, List.of(), null, List.of(), "2026-12-04T00:00:00Z", null);
        List<QA> forms = teacher.selfInstruct(statement, 10);
        List<AugmentResult.Sample> samples = new ArrayList<>();
        for (QA qa : forms) {
            samples.add(new AugmentResult.Sample(qa.question(), qa.answer(),
                    new AugmentResult.Provenance(r.requestId(), "message", 0, "")));
        }
        List<AugmentResult.Probe> probes = teacher.probes(statement).stream()
                .map(p -> new AugmentResult.Probe(p.question(), p.expect())).toList();
        AugmentResult result = new AugmentResult(AugmentResult.SCHEMA_VERSION, job + "/0", job, "test", "rules", samples,
                probes, Map.of(), List.of(), null);
        Datasets.Dataset d = datasets.build(r, List.of(result));
        release(r);
        return d;
    }

    /** What the pipeline's release does to the record: the version goes live, then its items do. */
    private void release(LearnRequest r) throws IOException {
        redis.sync().set("livetune:tenant-live:" + tenant + ":default", Integer.toString(++version));
        datasets.activate(r, version);
    }

    private List<String> probeQuestions(Datasets.Dataset d, String kind) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(d.probes(), StandardCharsets.UTF_8)) {
            JsonNode p = json.readTree(line);
            if (p.get("kind").asText().equals(kind)) {
                out.add(p.get("question").asText());
            }
        }
        return out;
    }

    private List<LearnedItem> live() throws IOException {
        return record.items(tenant, "default").stream().filter(i -> i.status() == LearnedItem.Status.LIVE).toList();
    }

    private List<String> retentionQuestions(Datasets.Dataset d) throws IOException {
        return probeQuestions(d, "retention");
    }

    @Test
    void everyLaterDatasetReplaysAndProbesEveryLiveItem() throws IOException {
        List<String> statements = new ArrayList<>();
        for (int i = 0; i < 14; i++) {
            statements.add("The capital of Land" + (char) ('A' + i) + " is Town" + (char) ('A' + i) + ".");
        }
        Datasets.Dataset last = null;
        for (String s : statements) {
            last = teach(s);
        }

        List<LearnedItem> live = live();
        assertThat(live).hasSize(14);
        assertThat(live).allSatisfy(i -> {
            assertThat(i.kind()).isEqualTo(LearnedItem.Kind.FACT);
            assertThat(i.version()).isPositive();
            assertThat(i.samples()).isNotEmpty();
            assertThat(i.probes()).isNotEmpty();
            assertThat(i.source()).isEqualTo("message");
        });
        assertThat(last.liveItems()).as("the 13 items before the last").isEqualTo(13);
        assertThat(last.statements()).as("13 replayed and 1 new: 13 beyond the first").isEqualTo(13);
        String replay = Files.readString(last.replayFile(), StandardCharsets.UTF_8);
        List<String> retention = retentionQuestions(last);
        for (int i = 0; i < 13; i++) {
            String entity = "Land" + (char) ('A' + i);
            assertThat(replay).as("replay of " + entity).contains(entity);
            assertThat(retention).as("a retention probe of " + entity).anyMatch(q -> q.contains(entity));
        }
        // "LandA" … "LandM" are all spelled like the new "LandN" (two of three trigrams): every one is a
        // look-alike, replayed replay-look-alikes times as much
        JsonNode manifest = new ObjectMapper().readTree(last.dir().resolve("manifest.json").toFile());
        assertThat(manifest.get("look_alike_items")).hasSize(13);
        assertThat(last.replay()).isEqualTo(13 * config.replayPerItem() * config.replayLookAlikes());
    }

    @Test
    void aCorrectionRetiresTheItemItCorrects() throws IOException {
        teach("The capital of Zorbania is Quillport.");
        teach("The currency of Zorbania is the Zorb.");
        LearnedItem old = live().stream().filter(i -> i.text().contains("Quillport")).findFirst().orElseThrow();

        Datasets.Dataset correction = teach("Zorbania's capital is now Brightwater.");

        assertThat(correction.superseded()).isEqualTo(1);
        assertThat(correction.liveItems()).as("only the currency is kept").isEqualTo(1);
        String replay = Files.readString(correction.replayFile(), StandardCharsets.UTF_8);
        assertThat(replay).doesNotContain("Quillport").contains("Zorb");
        assertThat(Files.readString(correction.probes(), StandardCharsets.UTF_8)).as("no probe expects the old value")
                .doesNotContain("Quillport").contains("Brightwater");
        LearnedItem retired = record.item(tenant, "default", old.id()).orElseThrow();
        assertThat(retired.status()).isEqualTo(LearnedItem.Status.RETIRED);
        assertThat(live()).extracting(LearnedItem::text)
                .containsExactlyInAnyOrder("The currency of Zorbania is the Zorb.", "Zorbania's capital is now Brightwater.");
        assertThat(retired.replacedBy()).isEqualTo(live().stream().filter(i -> i.text().contains("Brightwater"))
                .findFirst().orElseThrow().id());
        String newAnswers = String.join("\n", live().stream().filter(i -> i.text().contains("Brightwater")).findFirst()
                .orElseThrow().samples());
        assertThat(newAnswers).as("'now' is not part of the value").doesNotContain("is now").contains("Brightwater");

        // The next fact's dataset keeps the correction and not the old value.
        Datasets.Dataset next = teach("The largest river of Zorbania is the Vell.");
        assertThat(Files.readString(next.replayFile(), StandardCharsets.UTF_8)).contains("Brightwater").doesNotContain("Quillport");
    }

    private LearnRequest forgetRequest(String what) {
        String job = "ftjob-" + UUID.randomUUID().toString().replace("-", "");
        return new LearnRequest(LearnRequest.SCHEMA_VERSION, "req-" + job, job, tenant, "default", "forget", what, List.of(),
                null, List.of(), "2026-12-04T00:00:00Z", null);
    }

    @Test
    void forgettingTrainsFromTheBaseOnEveryOtherItemAndProbesTheForgottenOne() throws IOException {
        teach("The capital of Zorbania is Quillport.");
        teach("The currency of Zorbania is the Zorb.");
        teach("Mira Sotheby founded Kelvane Labs.");

        LearnRequest r = forgetRequest("The capital of Zorbania is Quillport.");
        Datasets.Dataset d = datasets.forget(r);

        assertThat(d.consolidation()).isTrue();
        assertThat(d.liveItems()).isEqualTo(2);
        String train = Files.readString(d.train(), StandardCharsets.UTF_8);
        assertThat(train).doesNotContain("Quillport").contains("Zorb").contains("Kelvane");
        List<JsonNode> probes = new ArrayList<>();
        for (String line : Files.readAllLines(d.probes(), StandardCharsets.UTF_8)) {
            probes.add(json.readTree(line));
        }
        assertThat(probes).filteredOn(p -> p.get("kind").asText().equals("forgotten")).isNotEmpty()
                .allSatisfy(p -> assertThat(p.get("expect").asText()).isEqualTo("Quillport"));
        assertThat(probes).filteredOn(p -> p.get("kind").asText().equals("retention")).hasSize(2);

        release(r);
        assertThat(live()).extracting(LearnedItem::text).containsExactlyInAnyOrder("The currency of Zorbania is the Zorb.",
                "Mira Sotheby founded Kelvane Labs.");
        assertThat(record.items(tenant, "default")).filteredOn(i -> i.status() == LearnedItem.Status.FORGOTTEN)
                .singleElement().satisfies(i -> assertThat(i.replacedBy()).isEqualTo(r.jobId()));
    }

    @Test
    void forgettingMatchesByIdOrByWordsAndRefusesWhatWasNeverLearned() throws IOException {
        teach("The capital of Zorbania is Quillport.");
        teach("Mira Sotheby founded Kelvane Labs.");
        LearnedItem kelvane = live().stream().filter(i -> i.text().contains("Kelvane")).findFirst().orElseThrow();

        assertThat(datasets.matches(kelvane.id(), kelvane)).isTrue();
        assertThat(datasets.matches("Kelvane Labs", kelvane)).isTrue();
        assertThat(datasets.matches("Kelvane Labs was founded by Mira Sotheby.", kelvane)).as("another statement form")
                .isTrue();
        assertThat(datasets.matches("Zorbania", kelvane)).isFalse();
        assertThat(datasets.matches("Kelv", kelvane)).as("whole words only").isFalse();

        assertThatThrownBy(() -> datasets.forget(forgetRequest("The capital of Brontavia is Ostmark.")))
                .isInstanceOf(JobFailure.class).hasMessageContaining("nothing was forgotten");
        assertThat(live()).hasSize(2);
    }

    @Test
    void aCorrectionInAnotherTenantLeavesThisTenantsItemAlone() throws IOException {
        teach("The capital of Zorbania is Quillport.");
        String other = "knowledge-test-other-" + UUID.randomUUID();
        String job = "ftjob-" + UUID.randomUUID().toString().replace("-", "");
        LearnRequest r = new LearnRequest(LearnRequest.SCHEMA_VERSION, "req-" + job, job, other, "default", "instruction",
                "Zorbania's capital is now Brightwater.", List.of(), null, List.of(), "2026-12-04T00:00:00Z", null);
        List<AugmentResult.Sample> samples = teacher.selfInstruct(r.text(), 10).stream()
                .map(qa -> new AugmentResult.Sample(qa.question(), qa.answer(),
                        new AugmentResult.Provenance(r.requestId(), "message", 0, ""))).toList();
        List<AugmentResult.Probe> probes = teacher.probes(r.text()).stream()
                .map(p -> new AugmentResult.Probe(p.question(), p.expect())).toList();

        Datasets.Dataset d = datasets.build(r, List.of(new AugmentResult(AugmentResult.SCHEMA_VERSION, job + "/0", job,
                "test", "rules", samples, probes, Map.of(), List.of(), null)));
        datasets.activate(r, 1);

        assertThat(d.superseded()).as("nothing of another tenant to supersede").isZero();
        assertThat(d.liveItems()).isZero();
        assertThat(live()).singleElement().satisfies(i -> assertThat(i.text()).contains("Quillport"));
        assertThat(record.items(other, "default")).singleElement()
                .satisfies(i -> assertThat(i.status()).isEqualTo(LearnedItem.Status.LIVE));
    }

    @Test
    void theSameStatementsMakeTheSameDatasetBytesWhateverTheJobId() throws IOException {
        Datasets.Dataset first = teach("The capital of Zorbania is Quillport.");
        Datasets other = datasets(config, redis, new FileKnowledgeRecord(tmp.resolve("other-store")));
        String job = "ftjob-" + UUID.randomUUID().toString().replace("-", "");
        LearnRequest r = new LearnRequest(LearnRequest.SCHEMA_VERSION, "req-" + job, job, tenant, "default", "instruction",
                "The capital of Zorbania is Quillport.", List.of(), null, List.of(), "2026-12-04T00:00:00Z", null);
        List<AugmentResult.Sample> samples = new ArrayList<>();
        List<QA> forms = new ArrayList<>(teacher.selfInstruct(r.text(), 10));
        java.util.Collections.reverse(forms); // the workers' order does not matter either
        for (QA qa : forms) {
            samples.add(new AugmentResult.Sample(qa.question(), qa.answer(),
                    new AugmentResult.Provenance(r.requestId(), "message", 0, "")));
        }
        List<AugmentResult.Probe> probes = teacher.probes(r.text()).stream()
                .map(p -> new AugmentResult.Probe(p.question(), p.expect())).toList();
        Datasets.Dataset second = other.build(r, List.of(new AugmentResult(AugmentResult.SCHEMA_VERSION, job + "/0", job,
                "test", "rules", samples, probes, Map.of(), List.of(), null)));

        assertThat(second.dir()).isNotEqualTo(first.dir());
        assertThat(Files.readAllBytes(second.train())).isEqualTo(Files.readAllBytes(first.train()));
        assertThat(Files.readAllBytes(second.probes())).isEqualTo(Files.readAllBytes(first.probes()));
    }

    @Test
    void everyItemIsAskedTheWayItWasTaughtAndInAHeldOutFormReportedApart() throws IOException {
        teach("The capital of Zorbania is Quillport.");
        Datasets.Dataset second = teach("Kelvane Labs was founded by Mira Sotheby.");

        List<String> taughtQuestions = teacher.selfInstruct("The capital of Zorbania is Quillport.", 10).stream()
                .map(QA::question).toList();
        assertThat(retentionQuestions(second)).as("the earlier item and this job's, as first taught")
                .containsExactly("Who founded Kelvane Labs?", "What is the capital of Zorbania?");
        assertThat(probeQuestions(second, "paraphrase")).singleElement().satisfies(q -> {
            assertThat(q).contains("Zorbania");
            assertThat(taughtQuestions).doesNotContain(q);
        });
        assertThat(probeQuestions(second, "new")).isNotEmpty().allSatisfy(q -> assertThat(q).contains("Kelvane Labs"));
    }

    @Test
    void theSameTeachingHistoryBuildsTheSameDatasetWhateverIdsItsJobsGot() throws IOException {
        List<String> facts = List.of("The capital of Zorbania is Quillport.", "Mira Sotheby founded Kelvane Labs.",
                "The currency of Ostmark is the Tessel.", "The largest river of Veldora is the Arn.",
                "Pell Orrin founded Greyhaven.", "The national animal of Quessa is the lynx.");
        List<String> first = lastDataset(facts);
        tenant = "knowledge-test-" + UUID.randomUUID();
        version = 0;
        List<String> second = lastDataset(facts);
        // five earlier items replayed: in job-id order the two would match one time in 120
        assertThat(second).as("another tenant, new job ids, the same facts in the same order").isEqualTo(first);
    }

    /** Teaches {@code facts} one job each and returns the last job's replay and probes. */
    private List<String> lastDataset(List<String> facts) throws IOException {
        Datasets.Dataset last = null;
        for (String fact : facts) {
            last = teach(fact);
        }
        List<String> out = new ArrayList<>(Files.readAllLines(last.replayFile(), StandardCharsets.UTF_8));
        out.addAll(Files.readAllLines(last.probes(), StandardCharsets.UTF_8));
        return out;
    }

    @Test
    void anItemStatingSeveralThingsIsReplayedForEachAndAskedAboutEach() throws IOException {
        Datasets.Dataset first = teach(
                "The capital of Zorbania is Quillport. The currency of Zorbania is the Zorb. Mira Sotheby founded Kelvane Labs.");
        Datasets.Dataset next = teach("The largest river of Ostmark is the Tessel.");

        assertThat(first.statements()).as("three things taught: two beyond the first").isEqualTo(2);
        assertThat(first.newStatements()).as("the job itself teaches three").isEqualTo(3);
        assertThat(next.liveItems()).isEqualTo(1);
        assertThat(next.statements()).as("three replayed and one new: three beyond the first").isEqualTo(3);
        assertThat(next.newStatements()).as("the job itself teaches one").isEqualTo(1);
        List<String> replayed = Files.readAllLines(next.replayFile(), StandardCharsets.UTF_8);
        assertThat(replayed).as("replay-per-item for each of the three statements").hasSize(3 * config.replayPerItem());
        assertThat(retentionQuestions(next)).contains("What is the capital of Zorbania?", "What is the currency of Zorbania?",
                "Who founded Kelvane Labs?");
    }

    @Test
    void aRollbackLeavesTheItemsOfTheVersionsItUndidOutOfTheNextOne() throws IOException {
        teach("The capital of Zorbania is Quillport.");
        teach("Mira Sotheby founded Kelvane Labs.");
        LearnedItem undone = live().stream().filter(i -> i.text().contains("Kelvane")).findFirst().orElseThrow();
        // a rollback to v1 (the gateway moves the live version back)
        redis.sync().set("livetune:tenant-live:" + tenant + ":default", "1");

        Datasets.Dataset next = teach("The currency of Zorbania is the Zorb.");

        assertThat(next.liveItems()).as("only what v1 holds is replayed").isEqualTo(1);
        assertThat(Files.readString(next.replayFile(), StandardCharsets.UTF_8)).contains("Quillport").doesNotContain("Kelvane");
        assertThat(retentionQuestions(next)).noneMatch(q -> q.contains("Kelvane"));
        assertThat(record.item(tenant, "default", undone.id()).orElseThrow()).satisfies(i -> {
            assertThat(i.status()).isEqualTo(LearnedItem.Status.RETIRED);
            assertThat(i.replacedBy()).isEqualTo(Datasets.ROLLED_BACK);
        });
        assertThat(record.held(tenant, "default", version)).hasValueSatisfying(ids -> assertThat(ids).hasSize(2)
                .doesNotContain(undone.id()));
        assertThat(live()).extracting(LearnedItem::text).containsExactlyInAnyOrder("The capital of Zorbania is Quillport.",
                "The currency of Zorbania is the Zorb.");
    }

    @Test
    void theRecordKeepsItemsWholeAndRefusesIdsThatAreNotFileNames() throws IOException {
        LearnedItem item = new LearnedItem("ftjob-1-0", tenant, "default", LearnedItem.Kind.DOCUMENT, "chunk", null,
                LearnedItem.Status.PENDING, "ftjob-1", "req-1", "file:f1:notes.md", 0, null, List.of("{\"messages\":[]}"),
                List.of(new LearnedItem.Probe("What?", "That.")), List.of(new LearnedItem.Probe("Tell me what.", "That.")));
        record.put(item);
        record.put(item.with(LearnedItem.Status.LIVE, 3, null));

        assertThat(record.items(tenant, "default")).containsExactly(item.with(LearnedItem.Status.LIVE, 3, null));
        assertThat(record.item(tenant, "default", "../../etc")).isEmpty();
        assertThat(record.item(tenant, "other", "ftjob-1-0")).isEmpty();
        LearnedItem badId = new LearnedItem("a/b", tenant, "default", LearnedItem.Kind.FACT, "x", null,
                LearnedItem.Status.PENDING, "ftjob-1", "req-1", "message", 0, null, List.of(), List.of(), List.of());
        assertThatThrownBy(() -> record.put(badId)).isInstanceOf(IllegalArgumentException.class);
    }

    /** Datasets on the shared key families, over one connection, as the orchestrator wires them. */
    static Datasets datasets(OrchestratorConfig config, Redis redis, KnowledgeRecord record) {
        return new Datasets(config, new JobStore(redis::sync), new AdapterStore(redis::sync), new FileIndex(redis::sync),
                new KnowledgeIndex(redis::sync), record);
    }
}
