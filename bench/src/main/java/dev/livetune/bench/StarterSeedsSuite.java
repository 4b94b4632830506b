package dev.livetune.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The starter recipe under many seeds: builds the starter model {@code --builds} times, each from its
 * own seed (random weights and batch order), exactly as {@code livetune up} builds it (through
 * {@code livetune build-starter}), and reports for each build whether the trainer ever met a NaN: a
 * loss that stopped a training (started over) or a non-finite gradient whose update was left out.
 */
@Command(name = "starter-seeds", mixinStandardHelpOptions = true)
public final class StarterSeedsSuite implements Callable<Integer> {

    @Option(names = "--standalone", defaultValue = "standalone/target/quarkus-app/quarkus-run.jar")
    Path standalone;

    @Option(names = "--trainer", defaultValue = "trainer/target/trainer.jar")
    Path trainer;

    @Option(names = "--builds", defaultValue = "30")
    int builds;

    @Option(names = "--first-seed", defaultValue = "1")
    long firstSeed;

    @Option(names = "--work", defaultValue = "bench/target/starter-seeds")
    Path work;

    @Option(names = "--out", defaultValue = "bench/reports/starter-seeds.json")
    Path out;

    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public static void main(String[] args) {
        System.exit(new CommandLine(new StarterSeedsSuite()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        for (Path p : List.of(standalone, trainer)) {
            if (!Files.isRegularFile(p)) {
                throw new IllegalStateException(p + " is missing: run ./mvnw -B -q install -DskipTests first");
            }
        }
        ObjectNode report = json.createObjectNode();
        report.put("suite", "starter-seeds");
        report.put("when", Instant.now().toString());
        report.put("cpu", Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("unknown"));
        report.put("cores", Runtime.getRuntime().availableProcessors());
        ArrayNode runs = report.putArray("builds");
        List<Double> losses = new ArrayList<>();
        int withNan = 0;
        int failed = 0;
        for (long seed = firstSeed; seed < firstSeed + builds; seed++) {
            JsonNode b = build(seed);
            runs.add(b);
            if (b.path("failed").asBoolean()) {
                failed++;
            } else {
                losses.add(b.get("final_loss").asDouble());
            }
            if (b.path("nan_retries").asInt() > 0 || b.path("skipped_steps").asInt() > 0) {
                withNan++;
            }
            System.err.printf("seed %d: %s%n", seed, json.writer().without(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(b));
            ObjectNode result = report.putObject("result");
            result.put("builds", runs.size());
            result.put("builds_with_a_nan", withNan);
            result.put("builds_failed", failed);
            losses.sort(Comparator.naturalOrder());
            if (!losses.isEmpty()) {
                result.put("final_loss_min", losses.get(0));
                result.put("final_loss_median", losses.get(losses.size() / 2));
                result.put("final_loss_max", losses.get(losses.size() - 1));
            }
            Files.createDirectories(out.toAbsolutePath().getParent());
            json.writeValue(out.toFile(), report);
        }
        System.err.println("report: " + out);
        return withNan == 0 && failed == 0 ? 0 : 1;
    }

    private JsonNode build(long seed) throws IOException, InterruptedException {
        Path dir = work.resolve("seed-" + seed);
        Path report = work.resolve("seed-" + seed + ".json");
        Trees.delete(dir);
        Files.deleteIfExists(report);
        Files.createDirectories(work);
        Path log = work.resolve("seed-" + seed + ".log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                standalone.toString(), "build-starter", "--seed", Long.toString(seed), "--out", dir.toString(),
                "--report", report.toString()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("LIVETUNE_TRAINER_JAR", trainer.toAbsolutePath().toString());
        int code = pb.start().waitFor();
        ObjectNode b;
        if (code == 0 && Files.isRegularFile(report)) {
            b = (ObjectNode) json.readTree(report.toFile());
        } else {
            b = json.createObjectNode().put("weights_seed", seed).put("training_seed", seed).put("failed", true)
                    .put("exit", code).put("log", log.toString());
        }
        Trees.delete(dir); // 6 MB each; what is kept is the report
        return b;
    }
}
