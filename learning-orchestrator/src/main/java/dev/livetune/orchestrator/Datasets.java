package dev.livetune.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.api.adapter.Sha256;
import dev.livetune.api.learn.LearnRequest;
import dev.livetune.augment.Chunker;
import dev.livetune.augment.ProbeQuestion;
import dev.livetune.augment.QA;
import dev.livetune.augment.QualityFilter;
import dev.livetune.augment.RulesTeacher;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Builds dataset vN of a job under {@code tenants/<t>/datasets/<job id>/}: the new samples (from
 * the teacher, quality-filtered), a replay sample of the adapter's earlier datasets, probes (held-out
 * questions for the new knowledge, earlier datasets' probes as retention probes) and a manifest with
 * sha256s. Written to a temporary directory and renamed: a dataset that exists is complete.
 *
 * <p>This version augments in-process with the rules teacher (instruction and document modes); the
 * {@code augment-tasks} workers of augmentation-service, the other teachers and web search come next.
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
    private final RulesTeacher teacher = new RulesTeacher();
    private final ObjectMapper json = new ObjectMapper();

    Datasets(OrchestratorConfig config, Redis redis) {
        this.config = config;
        this.redis = redis;
    }

    Path dir(LearnRequest r) {
        return config.artifactsDir().resolve("tenants").resolve(r.tenant()).resolve("datasets").resolve(r.jobId());
    }

    /** @throws JobFailure when nothing learnable comes out, or the mode is not available */
    public Dataset build(LearnRequest r) throws IOException {
        Path dir = dir(r);
        if (Files.isRegularFile(dir.resolve("manifest.json"))) {
            JsonNode m = json.readTree(dir.resolve("manifest.json").toFile());
            return new Dataset(dir, m.get("samples").asInt(), m.get("replay").asInt(), m.get("new_probes").asInt(),
                    m.get("retention_probes").asInt(), Map.of());
        }
        List<QA> candidates = new ArrayList<>();
        List<ProbeQuestion> probes = new ArrayList<>();
        switch (r.mode()) {
            case "auto", "instruction" -> {
                for (String text : texts(r)) {
                    candidates.addAll(teacher.selfInstruct(text, config.samplesPerFact()));
                    probes.addAll(teacher.probes(text));
                }
            }
            case "doc" -> documents(r, candidates, probes);
            case "web" -> web(r, candidates, probes);
            default -> throw new JobFailure("unknown learning mode '" + r.mode() + "'");
        }
        QualityFilter.Result filtered = QualityFilter.defaults().filter(candidates);
        if (filtered.kept().isEmpty()) {
            throw new JobFailure("nothing learnable: every generated sample was filtered out " + filtered.dropped());
        }
        List<String> train = new ArrayList<>();
        for (QA qa : filtered.kept()) {
            train.add(chat(qa.question(), qa.answer()));
        }
        List<String> replay = replay(r, (int) Math.ceil(config.replayShare() * train.size()));
        List<String> probeLines = new ArrayList<>();
        for (ProbeQuestion p : probes) {
            probeLines.add(probe(p.question(), p.expect(), "new"));
        }
        List<String> retention = retentionProbes(r, 30);
        probeLines.addAll(retention);

        Files.createDirectories(dir.getParent());
        Path tmp = Files.createTempDirectory(dir.getParent(), "." + r.jobId());
        Files.write(tmp.resolve("train.jsonl"), train, StandardCharsets.UTF_8);
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
        manifest.put("teacher", "rules");
        manifest.put("samples", train.size());
        manifest.put("replay", replay.size());
        manifest.put("new_probes", probes.size());
        manifest.put("retention_probes", retention.size());
        ObjectNode dropped = manifest.putObject("dropped");
        filtered.dropped().forEach(dropped::put);
        ObjectNode files = manifest.putObject("files");
        try (var list = Files.list(tmp)) {
            for (Path f : list.sorted().toList()) {
                files.put(f.getFileName().toString(), Sha256.of(f));
            }
        }
        json.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve("manifest.json").toFile(), manifest);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        return new Dataset(dir, train.size(), replay.size(), probes.size(), retention.size(), filtered.dropped());
    }

    /** The request's text and those of the requests coalesced into its job. */
    private List<String> texts(LearnRequest r) throws IOException {
        List<String> out = new ArrayList<>(List.of(r.text()));
        String coalesced = redis.sync().hget("livetune:job:" + r.jobId(), "coalesced");
        if (coalesced != null && !coalesced.isEmpty()) {
            for (String other : coalesced.split(",")) {
                String request = redis.sync().hget("livetune:job:" + other, "request");
                if (request != null) {
                    out.add(json.readValue(request, LearnRequest.class).text());
                }
            }
        }
        return out;
    }

    private void documents(LearnRequest r, List<QA> candidates, List<ProbeQuestion> probes) throws IOException {
        Path root = config.filesDir().orElseThrow(() -> new JobFailure("document learning needs livetune.orchestrator.files-dir"));
        Chunker chunker = new Chunker(1200, 150);
        for (String id : r.fileIds()) {
            Map<String, String> meta = redis.sync().hgetall("livetune:file:" + id);
            Path file = root.resolve(r.tenant()).resolve(id);
            if (meta == null || meta.isEmpty() || !r.tenant().equals(meta.get("tenant")) || !Files.isRegularFile(file)) {
                throw new JobFailure("file " + id + " is gone");
            }
            for (Chunker.Chunk c : chunker.chunk(meta.get("filename"), Files.readAllBytes(file))) {
                candidates.addAll(teacher.selfInstruct(c.text(), Math.max(2, config.samplesPerFact() / 2)));
                if (!c.title().isEmpty()) {
                    candidates.add(new QA("What does " + meta.get("filename") + " say about " + c.title() + "?", c.text(), c.text()));
                }
                probes.addAll(teacher.probes(c.text()));
            }
        }
    }

    /**
     * Web learning: search for the request's text, fetch the result pages through the SSRF guard,
     * extract their text by structure and teach what it says. Pages that are refused or fail are
     * reported; if none could be read the job fails with every reason.
     */
    private void web(LearnRequest r, List<QA> candidates, List<ProbeQuestion> probes) throws IOException {
        java.net.URI searx = config.searxngUrl().orElseThrow(() -> new JobFailure(
                "web learning needs livetune.orchestrator.searxng-url; send the facts with [Learn] or upload the pages"));
        dev.livetune.augment.SafeFetcher fetcher = new dev.livetune.augment.SafeFetcher(
                new java.util.HashSet<>(config.fetchAllowlist().orElse(List.of())), 2 << 20, java.time.Duration.ofSeconds(10));
        List<java.net.URI> pages;
        try {
            pages = new dev.livetune.augment.SearxngSearch(searx, java.time.Duration.ofSeconds(10)).search(r.text(),
                    config.webResults());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JobFailure("interrupted while searching");
        }
        if (pages.isEmpty()) {
            throw new JobFailure("the web search for '" + r.text() + "' found nothing");
        }
        List<String> refused = new ArrayList<>();
        Chunker chunker = new Chunker(1200, 150);
        int read = 0;
        for (java.net.URI url : pages) {
            try {
                dev.livetune.augment.SafeFetcher.Page page = fetcher.fetch(url);
                String name = page.contentType().contains("html") || url.getPath().endsWith(".html") ? "page.html" : "page.txt";
                for (Chunker.Chunk c : chunker.chunk(name, page.body())) {
                    candidates.addAll(teacher.selfInstruct(c.text(), Math.max(2, config.samplesPerFact() / 2)));
                    probes.addAll(teacher.probes(c.text()));
                }
                read++;
            } catch (dev.livetune.augment.FetchRefusedException e) {
                refused.add("refused " + e.getMessage());
            } catch (IOException e) {
                refused.add(url + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new JobFailure("interrupted while fetching");
            }
        }
        if (read == 0) {
            throw new JobFailure("no web page could be read: " + String.join("; ", refused));
        }
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

    private String probe(String q, String expect, String kind) throws IOException {
        return json.writeValueAsString(Map.of("question", q, "expect", expect, "kind", kind));
    }
}
