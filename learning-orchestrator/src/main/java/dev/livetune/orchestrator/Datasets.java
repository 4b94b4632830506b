package dev.livetune.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.api.adapter.Sha256;
import dev.livetune.api.augment.AugmentResult;
import dev.livetune.api.augment.AugmentTask;
import dev.livetune.api.learn.LearnRequest;
import dev.livetune.api.trace.TraceContext;
import dev.livetune.augment.Chunker;
import dev.livetune.augment.QA;
import dev.livetune.augment.QualityFilter;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Builds dataset vN of a job under {@code tenants/<t>/datasets/<job id>/}: the new samples (from
 * the teacher, quality-filtered), a replay sample of the adapter's earlier datasets, probes (held-out
 * questions for the new knowledge, earlier datasets' probes as retention probes) and a manifest with
 * sha256s. Written to a temporary directory and renamed: a dataset that exists is complete.
 *
 * <p>With the base model's general data ({@code general-data}), every dataset also replays some of
 * it, asks its probes as retention probes, and teaches each new sample a second time after one of
 * its exchanges, so the knowledge is there mid-conversation as well as in a session's first turn.
 *
 * <p>The new samples come from augmentation-service's workers: this class plans the tasks (one per
 * statement request, per document chunk, or one web query) and turns the results into the dataset,
 * deduplicated across tasks, with a provenance line per sample ({@code provenance.jsonl}, line for line
 * with {@code train.jsonl}).
 */
@Singleton
public class Datasets {

    /** A built dataset. */
    public record Dataset(Path dir, int samples, int replay, int newProbes, int retentionProbes, Map<String, Integer> dropped) {
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
    private final Redis redis;
    private final Chunker chunker = new Chunker(1200, 150);
    private final ObjectMapper json = new ObjectMapper();

    Datasets(OrchestratorConfig config, Redis redis) {
        this.config = config;
        this.redis = redis;
    }

    Path dir(LearnRequest r) {
        return config.artifactsDir().resolve("tenants").resolve(r.tenant()).resolve("datasets").resolve(r.jobId());
    }

    /** @return the dataset the job built before, or null */
    public Dataset existing(LearnRequest r) throws IOException {
        Path manifest = dir(r).resolve("manifest.json");
        if (!Files.isRegularFile(manifest)) {
            return null;
        }
        JsonNode m = json.readTree(manifest.toFile());
        return new Dataset(dir(r), m.get("samples").asInt(), m.get("replay").asInt(), m.get("new_probes").asInt(),
                m.get("retention_probes").asInt(), Map.of());
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
                    Map<String, String> meta = redis.sync().hgetall("livetune:file:" + id);
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
    private static AugmentTask task(LearnRequest r, int n, String requestId, String kind, String text, List<String> context,
            String source, String title, int chunk, int samples) {
        return new AugmentTask(AugmentTask.SCHEMA_VERSION, r.jobId() + "/" + n, r.jobId(), requestId, r.tenant(), r.adapter(),
                kind, text, context, source, title, chunk, samples, TraceContext.current());
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
        List<AugmentResult.Probe> probes = new ArrayList<>();
        Map<String, Integer> droppedByWorkers = new TreeMap<>();
        List<String> errors = new ArrayList<>();
        Set<String> teachers = new TreeSet<>();
        for (AugmentResult result : results) {
            for (AugmentResult.Sample s : result.samples()) {
                candidates.add(new QA(s.question(), s.answer(), null));
                origins.add(s.provenance());
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
        List<String> openers = general(r, "replay.jsonl", Integer.MAX_VALUE);
        Random contexts = new Random(r.jobId().hashCode() * 7L);
        for (QA qa : filtered.kept()) {
            train.add(chat(qa.question(), qa.answer()));
            provenance.add(json.writeValueAsString(origins.get(index.get(qa))));
            if (!openers.isEmpty()) {
                // the same turn later in a conversation, so a session that already talked gets it too
                train.add(chat(openers.get(contexts.nextInt(openers.size())), qa.question(), qa.answer()));
                provenance.add(json.writeValueAsString(origins.get(index.get(qa))));
            }
        }
        List<String> replay = new ArrayList<>(replay(r, (int) Math.ceil(config.replayShare() * train.size())));
        List<String> general = general(r, "replay.jsonl", config.generalReplay());
        replay.addAll(general);
        List<String> probeLines = new ArrayList<>();
        for (AugmentResult.Probe p : probes) {
            probeLines.add(probe(p.question(), p.expect(), "new"));
        }
        List<String> retention = new ArrayList<>(retentionProbes(r, 30));
        for (String line : general(r, "probes.jsonl", Integer.MAX_VALUE)) {
            JsonNode p = json.readTree(line);
            retention.add(probe(p.get("question").asText(), p.get("expect").asText(), "retention"));
        }
        probeLines.addAll(retention);

        Files.createDirectories(dir.getParent());
        Path tmp = Files.createTempDirectory(dir.getParent(), "." + r.jobId());
        Files.write(tmp.resolve("train.jsonl"), train, StandardCharsets.UTF_8);
        Files.write(tmp.resolve("provenance.jsonl"), provenance, StandardCharsets.UTF_8);
        if (!replay.isEmpty()) {
            Files.write(tmp.resolve("replay.jsonl"), replay, StandardCharsets.UTF_8);
        }
        Files.write(tmp.resolve("probes.jsonl"), probeLines, StandardCharsets.UTF_8);
        ObjectNode manifest = json.createObjectNode();
        manifest.put("schema_version", 1);
        manifest.put("job_id", r.jobId());
        manifest.put("request_id", r.requestId());
        manifest.put("tenant", r.tenant());
        manifest.put("adapter", r.adapter());
        manifest.put("mode", r.mode());
        manifest.put("teacher", String.join(",", teachers));
        manifest.put("tasks", results.size());
        manifest.put("samples", train.size());
        manifest.put("replay", replay.size());
        manifest.put("general_replay", general.size());
        manifest.put("new_probes", probes.size());
        manifest.put("retention_probes", retention.size());
        ObjectNode droppedNode = manifest.putObject("dropped");
        dropped.forEach(droppedNode::put);
        ObjectNode files = manifest.putObject("files");
        try (var list = Files.list(tmp)) {
            for (Path f : list.sorted().toList()) {
                files.put(f.getFileName().toString(), Sha256.of(f));
            }
        }
        json.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve("manifest.json").toFile(), manifest);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        return new Dataset(dir, train.size(), replay.size(), probes.size(), retention.size(), dropped);
    }

    /** The request and those coalesced into its job, in that order. */
    private List<LearnRequest> requests(LearnRequest r) throws IOException {
        List<LearnRequest> out = new ArrayList<>(List.of(r));
        String coalesced = redis.sync().hget("livetune:job:" + r.jobId(), "coalesced");
        if (coalesced != null && !coalesced.isEmpty()) {
            for (String other : coalesced.split(",")) {
                String request = redis.sync().hget("livetune:job:" + other, "request");
                if (request != null) {
                    out.add(json.readValue(request, LearnRequest.class));
                }
            }
        }
        return out;
    }

    /**
     * A seeded sample of the adapter's earlier datasets: {@code replay-per-dataset} from each (so
     * every earlier learning is refreshed), topped up from all of them to {@code count}, at most 200.
     */
    private List<String> replay(LearnRequest r, int count) throws IOException {
        Random random = new Random(r.jobId().hashCode());
        List<String> chosen = new ArrayList<>();
        List<String> rest = new ArrayList<>();
        for (Path earlier : earlier(r)) {
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
    private List<String> general(LearnRequest r, String file, int count) throws IOException {
        if (config.generalData().isEmpty() || count <= 0) {
            return List.of();
        }
        Path f = config.generalData().get().resolve(file);
        if (!Files.isRegularFile(f)) {
            return List.of();
        }
        List<String> lines = new ArrayList<>(Files.readAllLines(f, StandardCharsets.UTF_8).stream()
                .filter(l -> !l.isBlank()).toList());
        Collections.shuffle(lines, new Random(r.jobId().hashCode() * 17L));
        return lines.subList(0, Math.min(count, lines.size()));
    }

    /** Earlier datasets' new-knowledge probes, asked again as retention probes. */
    private List<String> retentionProbes(LearnRequest r, int max) throws IOException {
        List<String> out = new ArrayList<>();
        for (Path earlier : earlier(r)) {
            Path f = earlier.resolve("probes.jsonl");
            if (!Files.isRegularFile(f)) {
                continue;
            }
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                JsonNode p = json.readTree(line);
                if (p.path("kind").asText().equals("new")) {
                    out.add(probe(p.get("question").asText(), p.get("expect").asText(), "retention"));
                }
            }
        }
        Collections.shuffle(out, new Random(r.jobId().hashCode() * 31L));
        return out.subList(0, Math.min(max, out.size()));
    }

    private List<Path> earlier(LearnRequest r) {
        List<Path> out = new ArrayList<>();
        for (String jobId : redis.sync().lrange("livetune:adapter-datasets:" + r.tenant() + ":" + r.adapter(), 0, -1)) {
            out.add(config.artifactsDir().resolve("tenants").resolve(r.tenant()).resolve("datasets").resolve(jobId));
        }
        return out;
    }

    private String chat(String q, String a) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("messages", List.of(Map.of("role", "user", "content", q), Map.of("role", "assistant", "content", a)));
        return json.writeValueAsString(m);
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
        return json.writeValueAsString(Map.of("question", q, "expect", expect, "kind", kind));
    }
}
