package dev.livetune.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.api.adapter.Sha256;
import dev.livetune.api.artifact.ArtifactLayout;
import dev.livetune.api.auth.CallerTokens;
import dev.livetune.api.augment.AugmentResult;
import dev.livetune.api.augment.AugmentTask;
import dev.livetune.api.learn.ChatSamples;
import dev.livetune.api.learn.LearnRequest;
import dev.livetune.api.trace.TraceContext;
import dev.livetune.augment.Chunker;
import dev.livetune.augment.QA;
import dev.livetune.augment.QualityFilter;
import dev.livetune.augment.RulesTeacher;
import dev.livetune.orchestrator.knowledge.KnowledgeRecord;
import dev.livetune.orchestrator.knowledge.LearnedItem;
import dev.livetune.state.AdapterStore;
import dev.livetune.state.FileIndex;
import dev.livetune.state.JobStore;
import dev.livetune.state.KnowledgeIndex;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds dataset vN of a job under {@code tenants/<t>/datasets/<job id>/} from the workers' results
 * and the alias's knowledge record: the new samples (quality-filtered, in content order), replay of
 * every live learned item, probes (held-out questions for the new knowledge, retention probes of
 * every live item) and a manifest with sha256s. Each task that kept samples becomes a pending learned
 * item; {@link #activate} makes them live once their version is released and retires the items they
 * correct. Forget jobs and the consolidation recipe get datasets trained from the base model on the
 * whole record ({@link #forget}, {@link #consolidated}). Written to a temporary directory and
 * renamed: a dataset that exists is complete. Seeds come from the content, never from job ids, so
 * the same statements make the same bytes.
 *
 * <p>With the base model's general data ({@code general-data}), every dataset also replays some of
 * it, asks its probes as retention probes, and teaches each new sample a second time after one of
 * its exchanges, so the knowledge is there mid-conversation as well as in a session's first turn.
 *
 * <p>The tasks: one per statement request, per document chunk, or one web query, with a provenance
 * line per sample ({@code provenance.jsonl}, line for line with {@code train.jsonl}).
 */
@Singleton
public class Datasets {

    /**
     * A built dataset.
     *
     * @param liveItems  the live learned items it replays (consolidation: trains on)
     * @param statements the things those items and the job's own state (a fact one, a document chunk one
     *                   per fact in it), beyond the first: what the step budget grows with
     * @param newStatements the things the job itself teaches (a document: each fact of each chunk; a
     *                   forget: none), which the step budget grows with faster
     */
    public record Dataset(Path dir, int samples, int replay, int newProbes, int retentionProbes, Map<String, Integer> dropped,
            int liveItems, int statements, int newStatements, int superseded, boolean consolidation) {
        public Path train() {
            return dir.resolve("train.jsonl");
        }

        public Path replayFile() {
            return replay == 0 ? null : dir.resolve("replay.jsonl");
        }

        public Path probes() {
            return dir.resolve("probes.jsonl");
        }
    }

    private final OrchestratorConfig config;
    private final JobStore jobs;
    private final AdapterStore adapters;
    private final FileIndex files;
    private final KnowledgeIndex index;
    private final KnowledgeRecord knowledge;
    /** The recipe that trains from the base model on every live item rather than from the live adapter. */
    static final String CONSOLIDATION = "consolidation";

    /** How long an augmentation task's caller token lasts: its tenant's model, for the self teacher. */
    private static final java.time.Duration TASK_TOKEN_TTL = java.time.Duration.ofHours(1);

    private final Optional<CallerTokens> callerTokens;
    private final Chunker chunker = new Chunker(1200, 150);
    private final RulesTeacher rules = new RulesTeacher();
    private final ObjectMapper json = new ObjectMapper();

    Datasets(OrchestratorConfig config, JobStore jobs, AdapterStore adapters, FileIndex files, KnowledgeIndex index,
            KnowledgeRecord knowledge) {
        this.config = config;
        this.jobs = jobs;
        this.adapters = adapters;
        this.files = files;
        this.index = index;
        this.knowledge = knowledge;
        this.callerTokens = config.generateSecret().filter(s -> !s.isBlank()).map(CallerTokens::new);
    }

    Path dir(LearnRequest r) {
        return new ArtifactLayout(config.artifactsDir()).dataset(r.tenant(), r.jobId());
    }

    /** @return the dataset the job built before, or null */
    public Dataset existing(LearnRequest r) throws IOException {
        Path manifest = dir(r).resolve(ArtifactLayout.DATASET_MANIFEST);
        if (!Files.isRegularFile(manifest)) {
            return null;
        }
        JsonNode m = json.readTree(manifest.toFile());
        return new Dataset(dir(r), m.get("samples").asInt(), m.get("replay").asInt(), m.get("new_probes").asInt(),
                m.get("retention_probes").asInt(), Map.of(), m.path("live_items").asInt(),
                m.path("statements").asInt(m.path("live_items").asInt()), m.path("new_statements").asInt(1),
                m.path("supersedes").size(), CONSOLIDATION.equals(m.path("recipe").asText()));
    }

    /**
     * The augmentation tasks for a job, the same every time it is asked (a resumed job sends or awaits
     * the same ones): one per statement request (the job's own and those coalesced into it), one per
     * document chunk, or one web query.
     *
     * @throws JobFailure when there is nothing to augment
     */
    public List<AugmentTask> tasks(LearnRequest r) throws IOException {
        List<AugmentTask> out = new ArrayList<>();
        switch (r.mode()) {
            case "instruction" -> {
                for (LearnRequest each : requests(r)) {
                    if (!each.text().isBlank()) {
                        out.add(task(r, out.size(), each.requestId(), AugmentTask.STATEMENTS, each.text(), each.context(),
                                "message", "", 0, config.samplesPerFact()));
                    }
                }
            }
            case "doc" -> {
                Path root = config.filesDir().orElseThrow(() -> new JobFailure("document learning needs livetune.orchestrator.files-dir"));
                if (r.fileIds().isEmpty()) {
                    throw new JobFailure("document learning needs file ids (upload with POST /v1/files)");
                }
                for (String id : r.fileIds()) {
                    Map<String, String> meta = files.get(id);
                    Path file = root.resolve(r.tenant()).resolve(id);
                    if (meta == null || meta.isEmpty() || !r.tenant().equals(meta.get("tenant")) || !Files.isRegularFile(file)) {
                        throw new JobFailure("file " + id + " is gone");
                    }
                    String name = meta.get("filename");
                    for (Chunker.Chunk c : chunker.chunk(name, Files.readAllBytes(file))) {
                        out.add(task(r, out.size(), r.requestId(), AugmentTask.CHUNK, c.text(), List.of(),
                                "file:" + id + ":" + name, c.title(), c.index(), config.samplesPerFact()));
                    }
                }
            }
            case "web" -> out.add(task(r, 0, r.requestId(), AugmentTask.WEB, r.text(), List.of(), "web", "", 0,
                    config.samplesPerFact()));
            default -> throw new JobFailure("unknown learning mode '" + r.mode() + "'");
        }
        if (out.isEmpty()) {
            throw new JobFailure("nothing to learn: the request has no text");
        }
        return out;
    }

    /** A task of the job, in the trace of the span current now (the job's augmenting phase). */
    private AugmentTask task(LearnRequest r, int n, String requestId, String kind, String text, List<String> context,
            String source, String title, int chunk, int samples) {
        return new AugmentTask(AugmentTask.SCHEMA_VERSION, r.jobId() + "/" + n, r.jobId(), requestId, r.tenant(), r.adapter(),
                kind, text, context, source, title, chunk, samples, TraceContext.current(),
                callerTokens.map(t -> t.mint(r.tenant(), TASK_TOKEN_TTL)).orElse(null));
    }

    /**
     * Builds dataset vN from the workers' results.
     *
     * @throws JobFailure when nothing learnable came back
     */
    public Dataset build(LearnRequest r, List<AugmentResult> results) throws IOException {
        Dataset done = existing(r);
        if (done != null) {
            return done;
        }
        Path dir = dir(r);
        List<QA> candidates = new ArrayList<>();
        List<AugmentResult.Provenance> origins = new ArrayList<>();
        List<Integer> taskOf = new ArrayList<>();
        List<AugmentResult.Probe> probes = new ArrayList<>();
        Map<String, Integer> droppedByWorkers = new TreeMap<>();
        List<String> errors = new ArrayList<>();
        Set<String> teachers = new TreeSet<>();
        for (int t = 0; t < results.size(); t++) {
            AugmentResult result = results.get(t);
            for (AugmentResult.Sample s : result.samples()) {
                candidates.add(new QA(s.question(), s.answer(), null));
                origins.add(s.provenance());
                taskOf.add(t);
            }
            for (AugmentResult.Probe p : result.probes()) {
                if (!probes.contains(p)) {
                    probes.add(p);
                }
            }
            result.dropped().forEach((k, v) -> droppedByWorkers.merge(k, v, Integer::sum));
            if (result.error() != null && !errors.contains(result.error())) {
                errors.add(result.error());
            }
            if (result.teacher() != null) {
                teachers.add(result.teacher());
            }
        }
        // Across tasks: chunks overlap and coalesced requests may repeat each other.
        QualityFilter.Result filtered = QualityFilter.defaults().filter(candidates);
        Map<String, Integer> dropped = new TreeMap<>(droppedByWorkers);
        filtered.dropped().forEach((k, v) -> dropped.merge(k, v, Integer::sum));
        if (filtered.kept().isEmpty()) {
            throw new JobFailure(errors.isEmpty() ? "nothing learnable: every generated sample was filtered out " + dropped
                    : String.join("; ", errors));
        }
        List<String> train = new ArrayList<>();
        List<String> provenance = new ArrayList<>();
        IdentityHashMap<QA, Integer> index = new IdentityHashMap<>();
        for (int i = 0; i < candidates.size(); i++) {
            index.put(candidates.get(i), i);
        }
        List<List<String>> samplesOfTask = new ArrayList<>();
        results.forEach(x -> samplesOfTask.add(new ArrayList<>()));
        // In content order, and seeded by the content: the same statements make the same dataset whatever
        // the job's id and whichever coalesced request leads, so the same inputs train the same adapter.
        List<QA> keptInOrder = new ArrayList<>(filtered.kept());
        keptInOrder.sort(java.util.Comparator.comparing(QA::question).thenComparing(QA::answer));
        long seed = seed(keptInOrder.stream().map(qa -> qa.question() + "\u0000" + qa.answer()).toList());
        List<String> openers = general(seed, "replay.jsonl", Integer.MAX_VALUE);
        Random contexts = new Random(seed * 7L);
        for (QA qa : keptInOrder) {
            int i = index.get(qa);
            List<String> lines = new ArrayList<>(List.of(chat(qa.question(), qa.answer())));
            if (!openers.isEmpty()) {
                // the same turn later in a conversation, so a session that already talked gets it too
                lines.add(chat(openers.get(contexts.nextInt(openers.size())), qa.question(), qa.answer()));
            }
            for (String line : lines) {
                train.add(line);
                provenance.add(json.writeValueAsString(origins.get(i)));
            }
            samplesOfTask.get(taskOf.get(i)).addAll(lines);
        }

        List<LearnedItem> taught = items(r, results, samplesOfTask);
        return assemble(r, dir, seed, train, provenance, taught, probes, dropped, manifest -> {
            manifest.put("teacher", String.join(",", teachers));
            manifest.put("tasks", results.size());
        });
    }

    /**
     * The rest of a new dataset, around its own samples: the alias's live items it keeps (replayed) or
     * supersedes, the base model's general data, the probes (the job's new-knowledge probes, then the
     * retention probes), the knowledge record's pending items, and the sealed manifest.
     */
    private Dataset assemble(LearnRequest r, Path dir, long seed, List<String> train, List<String> provenance,
            List<LearnedItem> taught, List<AugmentResult.Probe> probes, Map<String, Integer> dropped,
            java.util.function.Consumer<ObjectNode> describe) throws IOException {
        // The knowledge record: this job's items, and the alias's live items it keeps or supersedes.
        Set<String> newSubjects = new TreeSet<>();
        taught.stream().map(LearnedItem::subject).filter(java.util.Objects::nonNull).forEach(newSubjects::add);
        List<LearnedItem> kept = new ArrayList<>();
        List<LearnedItem> superseded = new ArrayList<>();
        Set<String> recordedJobs = new TreeSet<>();
        Live live = live(r);
        for (LearnedItem item : knowledge.items(r.tenant(), r.adapter())) {
            recordedJobs.add(item.jobId());
        }
        for (LearnedItem item : live.held()) {
            (item.subject() != null && newSubjects.contains(item.subject()) ? superseded : kept).add(item);
        }
        List<Path> legacy = earlier(r).stream().filter(d -> !recordedJobs.contains(d.getFileName().toString())).toList();

        Random replayRandom = new Random(seed);
        List<String> replay = new ArrayList<>();
        Set<String> lookAlikes = lookAlikes(kept, taught);
        for (LearnedItem item : kept) {
            List<String> lines = new ArrayList<>(item.samples());
            Collections.shuffle(lines, replayRandom);
            // per thing the item states: a document chunk of four facts is replayed as four facts are
            int count = config.replayPerItem() * statements(item)
                    * (lookAlikes.contains(item.id()) ? Math.max(1, config.replayLookAlikes()) : 1);
            replay.addAll(lines.subList(0, Math.min(count, lines.size())));
        }
        if (!legacy.isEmpty()) {
            replay.addAll(replay(legacy, seed, (int) Math.ceil(config.replayShare() * train.size())));
        }
        Collections.shuffle(replay, replayRandom);
        List<String> general = general(seed, "replay.jsonl", config.generalReplay());
        replay.addAll(general);
        List<String> probeLines = new ArrayList<>();
        for (AugmentResult.Probe p : probes) {
            probeLines.add(probe(p.question(), p.expect(), "new", p.tools()));
        }
        List<String> retention = new ArrayList<>();
        for (LearnedItem item : taught) {
            retention.addAll(taughtProbes(item));
        }
        for (LearnedItem item : kept) {
            retention.addAll(taughtProbes(item));
            retention.addAll(paraphraseProbes(item));
        }
        retention.addAll(retentionProbes(legacy, seed, 30));
        for (String line : general(seed, "probes.jsonl", Integer.MAX_VALUE)) {
            JsonNode p = json.readTree(line);
            retention.add(probe(p.get("question").asText(), p.get("expect").asText(), "general"));
        }
        probeLines.addAll(retention);

        for (LearnedItem item : taught) {
            put(item);
        }
        Path tmp = stage(dir, train, provenance, replay, probeLines);
        ObjectNode manifest = manifest(r);
        manifest.put("request_id", r.requestId());
        describe.accept(manifest);
        manifest.put("samples", train.size());
        manifest.put("replay", replay.size());
        manifest.put("general_replay", general.size());
        manifest.put("new_probes", probes.size());
        manifest.put("retention_probes", retention.size());
        manifest.put("recipe", "incremental");
        manifest.put("live_items", kept.size());
        int statements = Math.max(0, statements(kept) + statements(taught) - 1);
        manifest.put("statements", statements);
        manifest.put("new_statements", statements(taught));
        ArrayNode lookAlikeIds = manifest.putArray("look_alike_items");
        lookAlikes.forEach(lookAlikeIds::add);
        ArrayNode keptIds = manifest.putArray("replayed_items");
        kept.forEach(i -> keptIds.add(i.id()));
        ArrayNode itemIds = manifest.putArray("items");
        taught.forEach(i -> itemIds.add(i.id()));
        ArrayNode supersedes = manifest.putArray("supersedes");
        superseded.forEach(i -> supersedes.add(i.id()));
        ArrayNode rolledBack = manifest.putArray("rolled_back");
        live.rolledBack().forEach(i -> rolledBack.add(i.id()));
        ObjectNode droppedNode = manifest.putObject("dropped");
        dropped.forEach(droppedNode::put);
        seal(tmp, manifest, dir);
        return new Dataset(dir, train.size(), replay.size(), probes.size(), retention.size(), dropped, kept.size(),
                statements, statements(taught), superseded.size(), false);
    }

    /** How many of a supervised job's conversations are asked as its new-knowledge probes, at most. */
    static final int SUPERVISED_PROBES = 20;

    /**
     * The dataset of a supervised job: the tenant's own conversations (its chat-format training file,
     * checked again as it is read), trained as they are, in file order; its new-knowledge probes are
     * the validation file's conversations, or else (none given) up to {@value #SUPERVISED_PROBES} of
     * the training file's, evenly spread: each asks the last user turn before an assistant turn and
     * expects what that answer adds ({@link #expectation}). The file becomes one learned item
     * ({@code document}), replayed by later jobs like any other, and around it the usual replay and
     * retention probes.
     *
     * @throws JobFailure when a file is gone or is not valid training data
     */
    public Dataset supervised(LearnRequest r) throws IOException {
        Dataset done = existing(r);
        if (done != null) {
            return done;
        }
        if (r.fileIds().isEmpty()) {
            throw new JobFailure("supervised fine-tuning needs a training file (upload .jsonl with purpose fine-tune)");
        }
        String fileId = r.fileIds().get(0);
        String name = files.get(fileId) == null ? fileId : files.get(fileId).getOrDefault("filename", fileId);
        List<ChatSamples.Sample> samples = samples(r, fileId);
        List<ChatSamples.Sample> asked = r.options().validationFile() == null ? spread(samples, SUPERVISED_PROBES)
                : samples(r, r.options().validationFile());
        List<String> train = new ArrayList<>();
        List<String> provenance = new ArrayList<>();
        String source = "file:" + fileId + ":" + name;
        for (ChatSamples.Sample sample : samples) {
            train.add(sample.jsonl());
            provenance.add(json.writeValueAsString(new AugmentResult.Provenance(r.requestId(), source, sample.line(), name)));
        }
        List<AugmentResult.Probe> probes = new ArrayList<>();
        for (ChatSamples.Sample sample : asked) {
            AugmentResult.Probe p = probeOf(sample);
            if (p != null && !probes.contains(p)) {
                probes.add(p);
            }
        }
        List<LearnedItem.Probe> itemProbes = probes.stream()
                .map(p -> new LearnedItem.Probe(p.question(), p.expect(), p.tools())).toList();
        // the validation questions were never trained on: the item is retained as the training file asked it
        List<LearnedItem.Probe> taughtForms = spread(samples, SUPERVISED_PROBES).stream().map(Datasets::probeOf)
                .filter(java.util.Objects::nonNull).map(p -> new LearnedItem.Probe(p.question(), p.expect(), p.tools()))
                .distinct().toList();
        LearnedItem item = new LearnedItem(r.jobId() + "-0", r.tenant(), r.adapter(), LearnedItem.Kind.DOCUMENT, name, null,
                LearnedItem.Status.PENDING, r.jobId(), r.requestId(), source, 0, null, train, itemProbes, taughtForms);
        return assemble(r, dir(r), seed(train), train, provenance, List.of(item), probes, Map.of(), manifest -> {
            manifest.put("teacher", "none (the tenant's own samples)");
            manifest.put("tasks", 0);
            manifest.put("training_file", fileId);
            if (r.options().validationFile() != null) {
                manifest.put("validation_file", r.options().validationFile());
            }
        });
    }

    /**
     * What a probe of a conversation looks for in the answer: its longest word that the question does
     * not hold (the fact it adds, e.g. "Tamberlin" for "What is the capital of Norvessa?" → "The
     * capital of Norvessa is Tamberlin."), or the whole answer when every word of it is in the
     * question. A verbatim answer would be too strict: a model that knows the fact may say it another way.
     */
    /**
     * The probe of one conversation: its last user question, expecting what the answer adds, or, when
     * the answer is a call, that call with the conversation's tools offered. A conversation whose text
     * answer follows tool results is not asked (its answer depends on them); nor one with nothing to
     * look for.
     *
     * @return the probe, or null
     */
    static AugmentResult.Probe probeOf(ChatSamples.Sample sample) {
        String call = sample.expectedCall();
        if (call != null) {
            return new AugmentResult.Probe(sample.question(), call, sample.tools());
        }
        if (sample.messages().stream().anyMatch(m -> m.role().equals("tool"))) {
            return null;
        }
        String expect = expectation(sample);
        return normalize(expect).isEmpty() ? null : new AugmentResult.Probe(sample.question(), expect);
    }

    static String expectation(ChatSamples.Sample sample) {
        Set<String> asked = new HashSet<>(List.of(normalize(sample.question()).split(" ")));
        String best = "";
        for (String w : sample.answer().split("[^\\p{L}\\p{N}]+")) {
            if (w.length() > best.length() && !asked.contains(normalize(w))) {
                best = w;
            }
        }
        return best.isEmpty() ? sample.answer() : best;
    }

    /** The conversations of one of the tenant's files. */
    private List<ChatSamples.Sample> samples(LearnRequest r, String fileId) throws IOException {
        Path root = config.filesDir().orElseThrow(() -> new JobFailure("supervised fine-tuning needs livetune.orchestrator.files-dir"));
        Map<String, String> meta = files.get(fileId);
        Path file = root.resolve(r.tenant()).resolve(fileId);
        if (meta == null || meta.isEmpty() || !r.tenant().equals(meta.get("tenant")) || !Files.isRegularFile(file)) {
            throw new JobFailure("file " + fileId + " is gone");
        }
        try {
            return ChatSamples.read(meta.getOrDefault("filename", fileId), Files.readAllBytes(file));
        } catch (ChatSamples.InvalidSamplesException e) {
            throw new JobFailure(e.getMessage());
        }
    }

    /** @return at most {@code n} of {@code all}, evenly spread, in order */
    private static <T> List<T> spread(List<T> all, int n) {
        if (all.size() <= n) {
            return all;
        }
        List<T> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(all.get((int) ((long) i * all.size() / n)));
        }
        return out;
    }

    /** @return the things {@code item} states: each distinct answer its probes expect (at least one) */
    /** Character trigrams two names must share (Jaccard) to count as spelled alike: Fenquilo ~ Fenquitha 0.44. */
    static final double LOOK_ALIKE = 0.25;
    private static final Pattern NAME = Pattern.compile("\\b\\p{Lu}[\\p{L}'-]{3,}");
    private static final Set<String> NOT_NAMES = Set.of("the", "this", "that", "these", "those", "there", "what", "which",
            "when", "where", "notes");

    /**
     * @return the ids of the live items that name something spelled like a name in {@code taught}: a
     *         capitalised word of four or more letters sharing at least {@link #LOOK_ALIKE} of its character
     *         trigrams with one of the new item's (the same name counts too)
     */
    static Set<String> lookAlikes(List<LearnedItem> live, List<LearnedItem> taught) {
        List<Set<String>> newNames = new ArrayList<>();
        for (LearnedItem t : taught) {
            names(t.text()).forEach(n -> newNames.add(trigrams(n)));
        }
        Set<String> out = new TreeSet<>();
        for (LearnedItem item : live) {
            for (String name : names(item.text())) {
                Set<String> g = trigrams(name);
                if (newNames.stream().anyMatch(n -> jaccard(g, n) >= LOOK_ALIKE)) {
                    out.add(item.id());
                    break;
                }
            }
        }
        return out;
    }

    private static Set<String> names(String text) {
        Set<String> out = new TreeSet<>();
        if (text != null) {
            Matcher m = NAME.matcher(text);
            while (m.find()) {
                String name = m.group().toLowerCase(Locale.ROOT);
                if (!NOT_NAMES.contains(name)) {
                    out.add(name);
                }
            }
        }
        return out;
    }

    private static Set<String> trigrams(String name) {
        Set<String> out = new HashSet<>();
        for (int i = 0; i + 3 <= name.length(); i++) {
            out.add(name.substring(i, i + 3));
        }
        return out;
    }

    private static double jaccard(Set<String> a, Set<String> b) {
        long shared = a.stream().filter(b::contains).count();
        return shared == 0 ? 0 : (double) shared / (a.size() + b.size() - shared);
    }

    static int statements(LearnedItem item) {
        return (int) Math.max(1, item.probes().stream().map(LearnedItem.Probe::expect).distinct().count());
    }

    private static int statements(List<LearnedItem> items) {
        return items.stream().mapToInt(Datasets::statements).sum();
    }

    /** The job's learned items, one per task that kept samples, pending until its version is released. */
    private List<LearnedItem> items(LearnRequest r, List<AugmentResult> results, List<List<String>> samplesOfTask)
            throws IOException {
        Map<String, AugmentTask> tasks = new TreeMap<>();
        try {
            tasks(r).forEach(t -> tasks.put(t.taskId(), t));
        } catch (JobFailure e) {
            // a file gone since augmentation: the items keep the workers' samples, without their text
        }
        LearnedItem.Kind kind = switch (r.mode()) {
            case "doc" -> LearnedItem.Kind.DOCUMENT;
            case "web" -> LearnedItem.Kind.WEB;
            default -> LearnedItem.Kind.FACT;
        };
        List<LearnedItem> out = new ArrayList<>();
        for (int t = 0; t < results.size(); t++) {
            AugmentResult result = results.get(t);
            if (samplesOfTask.get(t).isEmpty()) {
                continue;
            }
            AugmentTask task = tasks.get(result.taskId());
            List<LearnedItem.Probe> probes = result.probes().stream()
                    .map(p -> new LearnedItem.Probe(p.question(), p.expect(), p.tools())).toList();
            List<LearnedItem.Probe> taughtForms = taughtForms(task == null ? "" : task.text(), result.samples(), probes);
            AugmentResult.Provenance origin = result.samples().get(0).provenance();
            out.add(new LearnedItem(result.taskId().replace('/', '-'), r.tenant(), r.adapter(), kind,
                    task == null ? "" : task.text(), kind == LearnedItem.Kind.FACT ? LearnedItem.subjectOf(probes) : null,
                    LearnedItem.Status.PENDING, r.jobId(), origin == null ? r.requestId() : origin.requestId(),
                    origin == null ? "" : origin.source(), 0, null, samplesOfTask.get(t), probes, taughtForms));
        }
        return out;
    }

    /**
     * For each thing an item states (each distinct answer its probes expect), the question it was taught
     * with: the first of the rules teacher's question forms for the statement that is among its samples,
     * else (another teacher's samples) the first such question in sorted order. Worked out from the
     * content alone, so the workers' order does not change a dataset's bytes.
     */
    private List<LearnedItem.Probe> taughtForms(String text, List<AugmentResult.Sample> samples,
            List<LearnedItem.Probe> probes) {
        List<String> preferred = text.isBlank() ? List.of()
                : rules.selfInstruct(text, 64).stream().map(QA::question).distinct().toList();
        List<LearnedItem.Probe> out = new ArrayList<>();
        for (String expect : probes.stream().map(LearnedItem.Probe::expect).distinct().toList()) {
            List<String> asked = samples.stream().filter(s -> s.answer().contains(expect))
                    .map(AugmentResult.Sample::question).sorted().toList();
            preferred.stream().filter(asked::contains).findFirst().or(() -> asked.stream().findFirst())
                    .ifPresent(q -> out.add(new LearnedItem.Probe(q, expect)));
        }
        return out;
    }

    /**
     * Once the job's version is live: its items become live, the items they correct are retired, and
     * so are live items a rollback had left out of the version it trained from; the version's items
     * are recorded. Idempotent, so a job resumed after a crash in releasing can do it again.
     */
    public void activate(LearnRequest r, int version) throws IOException {
        JsonNode m = json.readTree(dir(r).resolve(ArtifactLayout.DATASET_MANIFEST).toFile());
        Map<String, String> correctedBy = new TreeMap<>();
        for (JsonNode id : m.path("items")) {
            var item = knowledge.item(r.tenant(), r.adapter(), id.asText());
            if (item.isPresent()) {
                if (item.get().status() == LearnedItem.Status.PENDING) {
                    put(item.get().with(LearnedItem.Status.LIVE, version, null));
                }
                if (item.get().subject() != null) {
                    correctedBy.put(item.get().subject(), item.get().id());
                }
            }
        }
        for (JsonNode id : m.path("supersedes")) {
            var item = knowledge.item(r.tenant(), r.adapter(), id.asText());
            if (item.isPresent() && item.get().status() == LearnedItem.Status.LIVE) {
                put(item.get().with(LearnedItem.Status.RETIRED, item.get().version(),
                        correctedBy.getOrDefault(item.get().subject(), r.jobId())));
            }
        }
        for (JsonNode id : m.path("forgets")) {
            var item = knowledge.item(r.tenant(), r.adapter(), id.asText());
            if (item.isPresent() && item.get().status() == LearnedItem.Status.LIVE) {
                put(item.get().with(LearnedItem.Status.FORGOTTEN, item.get().version(), r.jobId()));
            }
        }
        for (JsonNode id : m.path("rolled_back")) {
            var item = knowledge.item(r.tenant(), r.adapter(), id.asText());
            if (item.isPresent() && item.get().status() == LearnedItem.Status.LIVE) {
                put(item.get().with(LearnedItem.Status.RETIRED, item.get().version(), ROLLED_BACK));
            }
        }
        List<String> holds = new ArrayList<>();
        m.path("replayed_items").forEach(id -> holds.add(id.asText()));
        m.path("items").forEach(id -> holds.add(id.asText()));
        knowledge.holds(r.tenant(), r.adapter(), version, holds);
    }

    /** What a retired item's {@code replaced_by} says when a rollback left it out of the live version. */
    public static final String ROLLED_BACK = "rollback";

    /** The alias's live items: those the live version holds, and those a rollback left out of it. */
    private record Live(List<LearnedItem> held, List<LearnedItem> rolledBack) {
    }

    private Live live(LearnRequest r) throws IOException {
        List<LearnedItem> live = knowledge.items(r.tenant(), r.adapter()).stream()
                .filter(i -> i.status() == LearnedItem.Status.LIVE).toList();
        OptionalInt version = adapters.live(r.tenant(), r.adapter());
        Optional<List<String>> held = version.isEmpty() ? Optional.empty()
                : knowledge.held(r.tenant(), r.adapter(), version.getAsInt());
        if (held.isEmpty()) {
            // a version released before versions recorded what they hold: every live item
            return new Live(live, List.of());
        }
        Set<String> ids = new TreeSet<>(held.get());
        return new Live(live.stream().filter(i -> ids.contains(i.id())).toList(),
                live.stream().filter(i -> !ids.contains(i.id())).toList());
    }

    /** Writes an item to the record and its summary to the alias's index, which the gateway lists. */
    private void put(LearnedItem item) throws IOException {
        knowledge.put(item);
        ObjectNode summary = json.createObjectNode();
        summary.put("id", item.id());
        summary.put("kind", item.kind().wire());
        summary.put("text", item.text());
        summary.put("status", item.status().wire());
        summary.put("version", item.version());
        summary.put("job_id", item.jobId());
        summary.put("source", item.source());
        summary.put("samples", item.samples().size());
        summary.put("probes", item.probes().size());
        if (item.replacedBy() != null) {
            summary.put("replaced_by", item.replacedBy());
        }
        index.put(item.tenant(), item.adapter(), item.id(), json.writeValueAsString(summary));
    }

    /**
     * Dataset vN of a forget job: the alias's live items that match what the tenant asked to forget
     * are left out, and the version is trained from the base model on every other live item (the
     * consolidation recipe), with the forgotten items' probes asked as {@code forgotten} probes that
     * must not be answered.
     *
     * @throws JobFailure when nothing learned matches (nothing is forgotten), or when nothing would be
     *                    left to train on
     */
    public Dataset forget(LearnRequest r) throws IOException {
        Dataset done = existing(r);
        if (done != null) {
            return done;
        }
        Live now = live(r);
        List<LearnedItem> live = now.held();
        List<LearnedItem> forgotten = live.stream().filter(forgetting(r.text())).toList();
        if (forgotten.isEmpty()) {
            throw new JobFailure("nothing '" + r.adapter() + "' learned matches \"" + r.text() + "\", so nothing was forgotten"
                    + " (GET /v1/adapters/" + r.adapter() + "/items lists what it learned)");
        }
        List<LearnedItem> kept = live.stream().filter(i -> !forgotten.contains(i)).toList();
        return consolidate(r, dir(r), List.of(), kept, forgotten, now.rolledBack(), List.of());
    }

    /**
     * The consolidation dataset of an instruction, document or web job whose incremental version the
     * eval gate refused: the job's own samples and every sample of every live item it kept, trained
     * from the base model. Kept beside the job's dataset ({@code consolidation/}).
     */
    public Dataset consolidated(LearnRequest r) throws IOException {
        Path dir = dir(r).resolve(CONSOLIDATION);
        if (Files.isRegularFile(dir.resolve(ArtifactLayout.DATASET_MANIFEST))) {
            return read(dir);
        }
        JsonNode m = json.readTree(dir(r).resolve(ArtifactLayout.DATASET_MANIFEST).toFile());
        List<LearnedItem> kept = new ArrayList<>();
        for (JsonNode id : m.path("replayed_items")) {
            knowledge.item(r.tenant(), r.adapter(), id.asText()).filter(i -> i.status() == LearnedItem.Status.LIVE)
                    .ifPresent(kept::add);
        }
        List<String> own = Files.readAllLines(dir(r).resolve("train.jsonl"), StandardCharsets.UTF_8);
        List<String> probes = Files.readAllLines(dir(r).resolve("probes.jsonl"), StandardCharsets.UTF_8);
        return consolidate(r, dir, own, kept, List.of(), List.of(), probes);
    }

    private Dataset read(Path dir) throws IOException {
        JsonNode m = json.readTree(dir.resolve(ArtifactLayout.DATASET_MANIFEST).toFile());
        return new Dataset(dir, m.get("samples").asInt(), m.get("replay").asInt(), m.get("new_probes").asInt(),
                m.get("retention_probes").asInt(), Map.of(), m.path("live_items").asInt(),
                m.path("statements").asInt(m.path("live_items").asInt()), m.path("new_statements").asInt(0), 0, true);
    }

    /** Writes a consolidation dataset: {@code own} samples plus every sample of {@code kept}, general replay. */
    private Dataset consolidate(LearnRequest r, Path dir, List<String> own, List<LearnedItem> kept,
            List<LearnedItem> forgotten, List<LearnedItem> rolledBack, List<String> probesGiven) throws IOException {
        List<String> train = new ArrayList<>(own);
        kept.forEach(i -> train.addAll(i.samples()));
        train.sort(null);
        long seed = seed(train);
        Collections.shuffle(train, new Random(seed * 13L));
        List<String> general = general(seed, "replay.jsonl", config.generalReplay());
        if (train.isEmpty()) {
            if (general.isEmpty()) {
                throw new JobFailure("'" + r.adapter() + "' would have nothing left to learn from; roll it back to the base"
                        + " model instead");
            }
            train.addAll(general(seed, "replay.jsonl", Integer.MAX_VALUE));
            general = List.of();
        }
        List<String> probeLines = new ArrayList<>(probesGiven);
        int newProbes = (int) probesGiven.stream().filter(l -> l.contains("\"kind\":\"new\"")).count();
        int retention = probesGiven.size() - newProbes;
        if (probesGiven.isEmpty()) {
            for (LearnedItem item : kept) {
                List<String> asked = new ArrayList<>(taughtProbes(item));
                asked.addAll(paraphraseProbes(item));
                probeLines.addAll(asked);
                retention += asked.size();
            }
            for (String line : general(seed, "probes.jsonl", Integer.MAX_VALUE)) {
                JsonNode p = json.readTree(line);
                probeLines.add(probe(p.get("question").asText(), p.get("expect").asText(), "general"));
                retention++;
            }
        }
        for (LearnedItem item : forgotten) {
            for (LearnedItem.Probe p : item.probes()) {
                probeLines.add(probe(p.question(), p.expect(), "forgotten", p.tools()));
            }
        }
        Path tmp = stage(dir, train, List.of(), general, probeLines);
        ObjectNode manifest = manifest(r);
        manifest.put("recipe", CONSOLIDATION);
        manifest.put("samples", train.size());
        manifest.put("replay", general.size());
        manifest.put("general_replay", general.size());
        manifest.put("new_probes", newProbes);
        manifest.put("retention_probes", retention);
        manifest.put("live_items", kept.size());
        // the job's own statements (a refused incremental run's) are among the samples, not the items
        int taught = own.isEmpty() ? 0 : ownStatements(probesGiven);
        int statements = Math.max(0, statements(kept) + taught - 1);
        manifest.put("statements", statements);
        manifest.put("new_statements", taught);
        ArrayNode keptIds = manifest.putArray("replayed_items");
        kept.forEach(i -> keptIds.add(i.id()));
        ArrayNode forgets = manifest.putArray("forgets");
        forgotten.forEach(i -> forgets.add(i.id()));
        ArrayNode rolled = manifest.putArray("rolled_back");
        rolledBack.forEach(i -> rolled.add(i.id()));
        seal(tmp, manifest, dir);
        return new Dataset(dir, train.size(), general.size(), newProbes, retention, Map.of(), kept.size(), statements,
                taught, 0, true);
    }

    /** The things a job's own samples state: the distinct values its new-knowledge probes expect (at least one). */
    private int ownStatements(List<String> probeLines) throws IOException {
        Set<String> expects = new TreeSet<>();
        for (String line : probeLines) {
            JsonNode p = json.readTree(line);
            if (p.path("kind").asText().equals("new")) {
                expects.add(p.path("expect").asText());
            }
        }
        return Math.max(1, expects.size());
    }

    /**
     * Whether {@code request} (what to forget) names {@code item}: its id; a statement about the same
     * subject ("The capital of Zorbania is Quillport." forgets any capital of Zorbania); or words the
     * item's text contains ("Zorbania" forgets everything taught about Zorbania).
     */
    boolean matches(String request, LearnedItem item) {
        return forgetting(request).test(item);
    }

    /** {@link #matches} for one request, its subject and words worked out once for every item. */
    private java.util.function.Predicate<LearnedItem> forgetting(String request) {
        String text = request.strip();
        String subject = LearnedItem.subjectOf(rules.probes(text).stream()
                .map(p -> new LearnedItem.Probe(p.question(), p.expect())).toList());
        String words = normalize(text);
        return item -> {
            if (text.equals(item.id()) || item.subject() != null && item.subject().equals(subject)) {
                return true;
            }
            String about = normalize(item.text());
            return !words.isEmpty() && !about.isEmpty() && (" " + about + " ").contains(" " + words + " ");
        };
    }

    /** The request and those coalesced into its job, in that order. */
    private List<LearnRequest> requests(LearnRequest r) throws IOException {
        List<LearnRequest> out = new ArrayList<>(List.of(r));
        String coalesced = jobs.field(r.jobId(), "coalesced");
        if (coalesced != null && !coalesced.isEmpty()) {
            for (String other : coalesced.split(",")) {
                String request = jobs.field(other, "request");
                if (request != null) {
                    out.add(json.readValue(request, LearnRequest.class));
                }
            }
        }
        return out;
    }

    /**
     * A seeded sample of earlier datasets taught before the knowledge record existed: {@code replay-per-dataset} from each (so
     * every earlier learning is refreshed), topped up from all of them to {@code count}, at most 200.
     */
    private List<String> replay(List<Path> datasets, long seed, int count) throws IOException {
        Random random = new Random(seed);
        List<String> chosen = new ArrayList<>();
        List<String> rest = new ArrayList<>();
        for (Path earlier : datasets) {
            Path f = earlier.resolve("train.jsonl");
            if (Files.isRegularFile(f)) {
                List<String> lines = new ArrayList<>(Files.readAllLines(f, StandardCharsets.UTF_8));
                Collections.shuffle(lines, random);
                int take = Math.min(config.replayPerDataset(), lines.size());
                chosen.addAll(lines.subList(0, take));
                rest.addAll(lines.subList(take, lines.size()));
            }
        }
        Collections.shuffle(rest, random);
        for (int i = 0; chosen.size() < count && i < rest.size(); i++) {
            chosen.add(rest.get(i));
        }
        Collections.shuffle(chosen, random);
        return chosen.subList(0, Math.min(200, chosen.size()));
    }

    /** A seeded sample of {@code count} lines of a file of the general data, if there is one. */
    private List<String> general(long seed, String file, int count) throws IOException {
        if (config.generalData().isEmpty() || count <= 0) {
            return List.of();
        }
        Path f = config.generalData().get().resolve(file);
        if (!Files.isRegularFile(f)) {
            return List.of();
        }
        List<String> lines = new ArrayList<>(Files.readAllLines(f, StandardCharsets.UTF_8).stream()
                .filter(l -> !l.isBlank()).toList());
        Collections.shuffle(lines, new Random(seed * 17L));
        return lines.subList(0, Math.min(count, lines.size()));
    }

    /**
     * An item's {@code retention} probes: each thing it states, asked the way it was taught. An item
     * recorded before its taught forms were kept: the question of its first sample that answers it.
     */
    private List<String> taughtProbes(LearnedItem item) throws IOException {
        List<LearnedItem.Probe> forms = item.taught();
        if (forms.isEmpty()) {
            forms = new ArrayList<>();
            for (String expect : item.probes().stream().map(LearnedItem.Probe::expect).distinct().toList()) {
                for (String line : item.samples()) {
                    JsonNode messages = json.readTree(line).path("messages");
                    String answer = messages.path(messages.size() - 1).path("content").asText();
                    if (messages.size() >= 2 && answer.contains(expect)) {
                        forms.add(new LearnedItem.Probe(messages.path(messages.size() - 2).path("content").asText(), expect));
                        break;
                    }
                }
            }
        }
        List<String> out = new ArrayList<>();
        for (LearnedItem.Probe p : forms) {
            out.add(probe(p.question(), p.expect(), "retention", p.tools()));
        }
        return out;
    }

    /** An item's {@code paraphrase} probes: its first held-out questions, never trained on, reported apart. */
    private List<String> paraphraseProbes(LearnedItem item) throws IOException {
        List<String> out = new ArrayList<>();
        for (LearnedItem.Probe p : item.probes().subList(0, Math.min(config.probesPerItem(), item.probes().size()))) {
            out.add(probe(p.question(), p.expect(), "paraphrase", p.tools()));
        }
        return out;
    }

    /** Earlier datasets' new-knowledge probes, asked again as retention probes. */
    private List<String> retentionProbes(List<Path> datasets, long seed, int max) throws IOException {
        List<String> out = new ArrayList<>();
        for (Path earlier : datasets) {
            Path f = earlier.resolve("probes.jsonl");
            if (!Files.isRegularFile(f)) {
                continue;
            }
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                JsonNode p = json.readTree(line);
                if (p.path("kind").asText().equals("new")) {
                    out.add(probe(p.get("question").asText(), p.get("expect").asText(), "retention", p.get("tools")));
                }
            }
        }
        Collections.shuffle(out, new Random(seed * 31L));
        return out.subList(0, Math.min(max, out.size()));
    }

    private List<Path> earlier(LearnRequest r) {
        List<Path> out = new ArrayList<>();
        for (String jobId : adapters.datasets(r.tenant(), r.adapter())) {
            out.add(new ArtifactLayout(config.artifactsDir()).dataset(r.tenant(), jobId));
        }
        return out;
    }

    /** Writes a dataset's files into a temporary directory beside {@code dir} (empty optional files left out). */
    private Path stage(Path dir, List<String> train, List<String> provenance, List<String> replay, List<String> probes)
            throws IOException {
        Files.createDirectories(dir.getParent());
        Path tmp = Files.createTempDirectory(dir.getParent(), "." + dir.getFileName());
        Files.write(tmp.resolve("train.jsonl"), train, StandardCharsets.UTF_8);
        if (!provenance.isEmpty()) {
            Files.write(tmp.resolve("provenance.jsonl"), provenance, StandardCharsets.UTF_8);
        }
        if (!replay.isEmpty()) {
            Files.write(tmp.resolve("replay.jsonl"), replay, StandardCharsets.UTF_8);
        }
        Files.write(tmp.resolve("probes.jsonl"), probes, StandardCharsets.UTF_8);
        return tmp;
    }

    private ObjectNode manifest(LearnRequest r) {
        ObjectNode manifest = json.createObjectNode();
        manifest.put("schema_version", 1);
        manifest.put("job_id", r.jobId());
        manifest.put("tenant", r.tenant());
        manifest.put("adapter", r.adapter());
        manifest.put("mode", r.mode());
        return manifest;
    }

    /** Adds every staged file's sha256 to the manifest, writes it, and renames the directory into place. */
    private void seal(Path tmp, ObjectNode manifest, Path dir) throws IOException {
        ObjectNode files = manifest.putObject("files");
        try (var list = Files.list(tmp)) {
            for (Path f : list.sorted().toList()) {
                files.put(f.getFileName().toString(), Sha256.of(f));
            }
        }
        json.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve(ArtifactLayout.DATASET_MANIFEST).toFile(), manifest);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    }

    /** A seed made from content (not from ids that differ between runs), the same on every JVM. */
    private static long seed(List<String> lines) {
        long h = 1125899906842597L;
        for (String line : lines) {
            for (int i = 0; i < line.length(); i++) {
                h = 31 * h + line.charAt(i);
            }
            h = 31 * h + '\n';
        }
        return h;
    }

    private static String normalize(String text) {
        return text.toLowerCase(java.util.Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]+", " ").strip();
    }

    private String chat(String q, String a) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("messages", List.of(message("user", q), message("assistant", a)));
        return json.writeValueAsString(m);
    }

    private static Map<String, String> message(String role, String content) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    /** {@code q} and {@code a} after the exchanges of an earlier chat sample. */
    private String chat(String earlier, String q, String a) throws IOException {
        ObjectNode sample = json.createObjectNode();
        ArrayNode messages = sample.putArray("messages");
        json.readTree(earlier).path("messages").forEach(messages::add);
        messages.addObject().put("role", "user").put("content", q);
        messages.addObject().put("role", "assistant").put("content", a);
        return json.writeValueAsString(sample);
    }

    private String probe(String q, String expect, String kind) throws IOException {
        return probe(q, expect, kind, null);
    }

    /** @param tools the functions the question is asked with (the trainer's probe format), or null */
    private String probe(String q, String expect, String kind, JsonNode tools) throws IOException {
        // a fixed key order, so the same probes are the same bytes on every JVM (Map.of's order is not)
        Map<String, Object> probe = new LinkedHashMap<>();
        probe.put("question", q);
        probe.put("expect", expect);
        probe.put("kind", kind);
        if (tools != null && !tools.isNull()) {
            probe.put("tools", tools);
        }
        return json.writeValueAsString(probe);
    }
}
