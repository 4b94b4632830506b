package dev.livetune.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.llm.perf.Stats;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Continual learning as a tenant teaches it: a standalone livetune with the starter model (every
 * service's code in one JVM), driven over its OpenAI-compatible HTTP API. Thirty made-up facts are
 * taught one {@code [Learn]} at a time in varied statement forms; after each job every fact taught so
 * far is asked in a new session (the recall curve) and the job's teach-to-live time is kept. Then three
 * corrections, one {@code [Forget]}, and three Markdown documents through files and fine-tuning jobs.
 * At the end, in new sessions: each fact in the question form closest to its teaching, the held-out
 * question forms no run trained on (paraphrases), the documents' facts, the corrected values, the
 * forgotten fact, and the starter's small-talk probes against the same probes before any learning.
 */
@Command(name = "continual-learning", mixinStandardHelpOptions = true)
public final class ContinualLearningSuite implements Callable<Integer> {

    @Option(names = "--standalone", defaultValue = "standalone/target/quarkus-app/quarkus-run.jar")
    Path standalone;

    @Option(names = "--trainer", defaultValue = "trainer/target/trainer.jar")
    Path trainer;

    @Option(names = "--data", defaultValue = "bench/target/continual-learning",
            description = "data directory; its models/ (the starter) is kept between runs, the rest starts afresh")
    Path data;

    @Option(names = "--facts", defaultValue = "30")
    int factCount;

    @Option(names = "--out", defaultValue = "bench/reports/continual-learning.json")
    Path out;

    private static final String[] SYLLABLES = {"ka", "lo", "mi", "ra", "ven", "dor", "tha", "qui", "zel", "mar", "bri",
            "sto", "pel", "nor", "fen", "gal", "tru", "vis", "hol", "dra"};
    /** Small-talk probes of the starter's general data: prompt, what the answer must hold. */
    private static final String[][] SMALL_TALK = {{"Hello", "livetune"}, {"Hi there", "livetune"}, {"Who are you?", "livetune"},
            {"What is your name?", "livetune"}, {"How are you?", "well"}, {"Thank you", "welcome"}, {"Thank you!", "welcome"},
            {"What can you do?", "Learn"}};

    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private String base;
    private String key;

    /**
     * One made-up fact.
     *
     * @param statement  how it is taught
     * @param question   the question form closest to the teaching
     * @param paraphrase a question form no run trains on (the rules teacher's held-out form)
     * @param value      what a right answer holds
     * @param attribute  for "the A of E" facts, the attribute (corrections use these); null otherwise
     * @param entity     what it is about
     */
    record Fact(String statement, String question, String paraphrase, String value, String attribute, String entity) {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ContinualLearningSuite()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (factCount < 6) {
            // three corrections and a forget need four facts of the "the A of E" forms: six facts give four
            throw new CommandLine.ParameterException(new CommandLine(this), "--facts must be at least 6, not " + factCount);
        }
        prepare();
        int httpPort = freePort();
        int grpcPort = freePort();
        base = "http://127.0.0.1:" + httpPort;
        Process app = start(httpPort, grpcPort);
        ObjectNode report = json.createObjectNode();
        try {
            key = Files.readString(data.resolve("api-key")).strip();
            run(report);
        } finally {
            app.destroy();
            app.waitFor(60, TimeUnit.SECONDS);
        }
        report.remove("partial");
        save(report);
        System.err.println("report: " + out);
        return 0;
    }

    /** Writes the report as it stands, so a run stopped early still leaves its curve behind. */
    private void save(ObjectNode report) throws IOException {
        Files.createDirectories(out.toAbsolutePath().getParent());
        json.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), report);
    }

    private void run(ObjectNode report) throws Exception {
        report.put("suite", "continual-learning");
        report.put("when", Instant.now().toString());
        report.put("cpu", Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown"));
        report.put("cores", Runtime.getRuntime().availableProcessors());
        double smallTalkBase = smallTalk();
        report.put("small_talk_base", smallTalkBase);
        System.err.printf("small talk before learning: %.2f%n", smallTalkBase);

        List<Fact> facts = facts(factCount, new Random(2026));
        ArrayNode jobs = report.putArray("jobs");
        List<Double> seconds = new ArrayList<>();
        for (int i = 0; i < facts.size(); i++) {
            ObjectNode job = teach("[Learn] " + facts.get(i).statement());
            seconds.add(job.get("seconds").asDouble());
            int known = 0;
            for (Fact f : facts.subList(0, i + 1)) {
                known += contains(ask(f.question()), f.value()) ? 1 : 0;
            }
            job.put("facts_so_far", i + 1);
            job.put("recalled_so_far", known);
            jobs.add(job);
            System.err.printf("fact %d: %s in %.1f s; recall %d/%d%n", i + 1, job.get("status").asText(),
                    job.get("seconds").asDouble(), known, i + 1);
            report.put("partial", "stopped after " + (i + 1) + " of the " + facts.size() + " facts");
            save(report);
        }

        // Three corrections and a forget, each one job.
        List<Fact> attributeFacts = facts.stream().filter(f -> f.attribute() != null).toList();
        List<Fact> corrected = new ArrayList<>();
        // every third attribute fact (of the 30), closer together in a shorter run (--facts)
        int apart = Math.max(1, Math.min(3, (attributeFacts.size() - 1) / 3));
        for (int c = 0; c < 3; c++) {
            Fact old = attributeFacts.get(c * apart);
            String value = name(new Random(99 + c), 3);
            Fact now = new Fact(old.entity() + "'s " + old.attribute() + " is now " + value + ".", old.question(),
                    old.paraphrase(), value, old.attribute(), old.entity());
            ObjectNode job = teach("[Learn] " + now.statement());
            job.put("correction_of", old.statement());
            jobs.add(job);
            seconds.add(job.get("seconds").asDouble());
            facts.set(facts.indexOf(old), now);
            corrected.add(now);
            report.put("partial", "stopped after " + (c + 1) + " of the 3 corrections");
            save(report);
        }
        Fact forgotten = attributeFacts.get(Math.min(10, attributeFacts.size() - 1));
        ObjectNode forget = teach("[Forget] " + forgotten.statement());
        jobs.add(forget);
        seconds.add(forget.get("seconds").asDouble());

        // Three Markdown documents of four facts each, through files and fine-tuning jobs.
        List<Fact> docFacts = new ArrayList<>();
        ArrayNode documents = report.putArray("documents");
        Random docs = new Random(7);
        for (int d = 0; d < 3; d++) {
            List<Fact> these = facts(4, docs);
            StringBuilder md = new StringBuilder("# Notes on the lands, part " + (d + 1) + "\n\n");
            for (Fact f : these) {
                md.append(f.statement()).append("\n\n");
            }
            ObjectNode job = learnDocument("notes-" + (d + 1) + ".md", md.toString());
            documents.add(job);
            seconds.add(job.get("seconds").asDouble());
            docFacts.addAll(these);
            System.err.printf("document %d: %s in %.1f s%n", d + 1, job.get("status").asText(), job.get("seconds").asDouble());
            report.put("partial", "stopped after " + (d + 1) + " of the 3 documents");
            save(report);
        }

        // The end, each question in a new session.
        List<Fact> kept = facts.stream().filter(f -> f != forgotten).toList();
        int closest = 0;
        int paraphrased = 0;
        ArrayNode answers = report.putArray("final_answers");
        for (Fact f : kept) {
            String a = ask(f.question());
            String p = ask(f.paraphrase());
            closest += contains(a, f.value()) ? 1 : 0;
            paraphrased += contains(p, f.value()) ? 1 : 0;
            answers.addObject().put("question", f.question()).put("answer", a).put("expect", f.value())
                    .put("paraphrase", f.paraphrase()).put("paraphrase_answer", p);
        }
        int correctedRight = 0;
        for (Fact f : corrected) {
            correctedRight += contains(ask(f.question()), f.value()) ? 1 : 0;
        }
        String forgottenAnswer = ask(forgotten.question());
        int docRight = 0;
        ArrayNode docAnswers = report.putArray("document_answers");
        for (Fact f : docFacts) {
            String a = ask(f.question());
            docRight += contains(a, f.value()) ? 1 : 0;
            docAnswers.addObject().put("taught", f.statement()).put("question", f.question()).put("answer", a)
                    .put("expect", f.value());
        }
        double smallTalkEnd = smallTalk();

        double[] s = seconds.stream().mapToDouble(Double::doubleValue).toArray();
        double[] sorted = s.clone();
        Arrays.sort(sorted);
        ObjectNode result = report.putObject("result");
        result.put("facts_closest_form", closest + "/" + kept.size());
        result.put("facts_paraphrased", paraphrased + "/" + kept.size());
        result.put("corrections_new_value", correctedRight + "/" + corrected.size());
        result.put("forgotten_answer", forgottenAnswer);
        result.put("forgotten_still_answered", contains(forgottenAnswer, forgotten.value()));
        result.put("document_facts", docRight + "/" + docFacts.size());
        result.put("small_talk_end", smallTalkEnd);
        result.put("small_talk_ratio_to_base", smallTalkBase == 0 ? 0 : smallTalkEnd / smallTalkBase);
        result.put("teach_to_live_p50_seconds", Stats.median(s));
        result.put("teach_to_live_p95_seconds", sorted[(int) Math.ceil(0.95 * sorted.length) - 1]);
        result.put("jobs_released", jobs.findValuesAsText("status").stream().filter("succeeded"::equals).count()
                + documents.findValuesAsText("status").stream().filter("succeeded"::equals).count() + "/"
                + (jobs.size() + documents.size()));
        System.err.println("result: " + result);
    }

    /** Teaches through a chat message and waits for the job. */
    private ObjectNode teach(String message) throws Exception {
        long t0 = System.nanoTime();
        JsonNode reply = post("/v1/chat/completions", json.createObjectNode().put("model", "default")
                .set("messages", json.createArrayNode().add(json.createObjectNode().put("role", "user").put("content", message))));
        return await(reply.get("livetune_job_id").asText(), message, t0);
    }

    private ObjectNode learnDocument(String name, String markdown) throws Exception {
        long t0 = System.nanoTime();
        String boundary = "----livetune" + UUID.randomUUID();
        String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name + "\"\r\nContent-Type: text/markdown\r\n\r\n"
                + markdown + "\r\n--" + boundary + "--\r\n";
        HttpResponse<String> up = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/files"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (up.statusCode() != 200) {
            throw new IllegalStateException("upload: " + up.statusCode() + " " + up.body());
        }
        String file = json.readTree(up.body()).get("id").asText();
        JsonNode job = post("/v1/fine_tuning/jobs", json.createObjectNode().put("training_file", file).put("model", "default"));
        return await(job.get("id").asText(), "document " + name, t0);
    }

    private ObjectNode await(String jobId, String what, long t0) throws Exception {
        JsonNode job;
        long deadline = System.currentTimeMillis() + 20 * 60_000;
        do {
            Thread.sleep(250); // a benchmark's poll, not a test's synchronisation
            job = get("/v1/fine_tuning/jobs/" + jobId);
        } while (!Set.of("succeeded", "failed", "cancelled").contains(job.get("status").asText())
                && System.currentTimeMillis() < deadline);
        ObjectNode row = json.createObjectNode();
        row.put("what", what);
        row.put("job", jobId);
        row.put("status", job.get("status").asText());
        row.put("seconds", (System.nanoTime() - t0) / 1e9);
        row.set("error", job.get("error"));
        row.put("model", job.path("fine_tuned_model").asText(""));
        List<String> recipes = new ArrayList<>();
        for (JsonNode e : get("/v1/fine_tuning/jobs/" + jobId + "/events?limit=100").get("data")) {
            String m = e.get("message").asText();
            if (m.contains("recipe:")) {
                recipes.add(m.substring(m.indexOf("recipe:") + 7).split("[,)]")[0].strip());
            }
        }
        java.util.Collections.reverse(recipes); // events come newest first
        row.put("recipes", String.join(" then ", recipes));
        return row;
    }

    private double smallTalk() throws Exception {
        int passed = 0;
        for (String[] p : SMALL_TALK) {
            passed += contains(ask(p[0]), p[1]) ? 1 : 0;
        }
        return (double) passed / SMALL_TALK.length;
    }

    /** Asks in a new session, greedily. */
    private String ask(String question) throws Exception {
        ObjectNode body = json.createObjectNode().put("model", "default").put("temperature", 0).put("max_tokens", 80);
        body.putArray("messages").addObject().put("role", "user").put("content", question);
        return post("/v1/chat/completions", body).at("/choices/0/message/content").asText();
    }

    private static boolean contains(String answer, String value) {
        return answer.toLowerCase(java.util.Locale.ROOT).contains(value.toLowerCase(java.util.Locale.ROOT));
    }

    private JsonNode post(String path, JsonNode body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").header("X-Session-Id", "bench-" + UUID.randomUUID())
                .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(path + ": " + r.statusCode() + " " + r.body());
        }
        return json.readTree(r.body());
    }

    private JsonNode get(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + key)
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(path + ": " + r.statusCode() + " " + r.body());
        }
        return json.readTree(r.body());
    }

    /** Made-up facts in six statement forms, each entity used once. */
    static List<Fact> facts(int n, Random rnd) {
        List<Fact> out = new ArrayList<>();
        Set<String> used = new HashSet<>();
        String[] attributes = {"capital", "currency", "largest river", "national animal", "oldest city", "highest mountain"};
        for (int i = 0; i < n; i++) {
            String e;
            do {
                e = name(rnd, 3);
            } while (!used.add(e));
            String v = name(rnd, 2 + rnd.nextInt(2));
            String person = name(rnd, 2) + " " + name(rnd, 2);
            String a = attributes[rnd.nextInt(attributes.length)];
            out.add(switch (i % 6) {
                case 0 -> new Fact("The " + a + " of " + e + " is " + v + ".", "What is the " + a + " of " + e + "?",
                        "Can you tell me what the " + a + " of " + e + " is?", v, a, e);
                case 1 -> new Fact(e + "'s " + a + " is " + v + ".", "What is the " + a + " of " + e + "?",
                        "I'd like to know the " + a + " of " + e + ".", v, a, e);
                case 2 -> new Fact(person + " founded " + e + ".", "Who founded " + e + "?",
                        "Can you tell me who founded " + e + "?", person, null, e);
                case 3 -> new Fact(e + " was founded by " + person + ".", "Who founded " + e + "?",
                        "I'd like to know who founded " + e + ".", person, null, e);
                case 4 -> new Fact("The " + a + " of " + e + " was " + v + ".", "What is the " + a + " of " + e + "?",
                        "Can you tell me what the " + a + " of " + e + " is?", v, a, e);
                default -> new Fact(e + "'s " + a + ": " + v + ".", "What is the " + a + " of " + e + "?",
                        "I'd like to know the " + a + " of " + e + ".", v, a, e);
            });
        }
        return out;
    }

    private static String name(Random rnd, int syllables) {
        StringBuilder w = new StringBuilder();
        for (int i = 0; i < syllables; i++) {
            w.append(SYLLABLES[rnd.nextInt(SYLLABLES.length)]);
        }
        return Character.toUpperCase(w.charAt(0)) + w.substring(1);
    }

    /** A fresh data directory, but for the starter model a previous run built. */
    private void prepare() throws IOException {
        Files.createDirectories(data);
        try (Stream<Path> s = Files.list(data)) {
            for (Path p : s.filter(p -> !p.getFileName().toString().equals("models")).toList()) {
                try (Stream<Path> all = Files.walk(p)) {
                    for (Path q : all.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(q);
                    }
                }
            }
        }
    }

    private Process start(int httpPort, int grpcPort) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                standalone.toString(), "up").redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("LIVETUNE_DATA_DIR", data.toAbsolutePath().toString());
        env.put("LIVETUNE_HTTP_PORT", Integer.toString(httpPort));
        env.put("LIVETUNE_GRPC_PORT", Integer.toString(grpcPort));
        env.put("LIVETUNE_TRAINER_JAR", trainer.toAbsolutePath().toString());
        env.remove("LIVETUNE_API_KEY");
        env.remove("LIVETUNE_MODEL_DIR");
        Process p = pb.start();
        CompletableFuture<Boolean> ready = new CompletableFuture<>();
        Path log = data.resolve("bench-console.log");
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                    PrintWriter w = new PrintWriter(Files.newBufferedWriter(log), true)) {
                for (String line; (line = r.readLine()) != null; ) {
                    w.println(line);
                    if (line.startsWith("livetune is ready")) {
                        ready.complete(true);
                    }
                }
            } catch (IOException e) {
                // ended
            }
            ready.complete(false);
        });
        pump.setDaemon(true);
        pump.start();
        if (!ready.get(30, TimeUnit.MINUTES)) {
            throw new IllegalStateException("standalone livetune did not start; see " + log);
        }
        return p;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
