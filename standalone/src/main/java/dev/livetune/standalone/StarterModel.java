package dev.livetune.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.api.artifact.ArtifactLayout;
import dev.livetune.augment.QA;
import dev.livetune.augment.RulesTeacher;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.generate.GenerationDefaults;
import dev.livetune.llm.model.ModelConfig;
import dev.livetune.llm.model.ModelFamily;
import dev.livetune.llm.model.RandomModelWriter;
import dev.livetune.llm.model.RopeConfig;
import dev.livetune.llm.tokenizer.ByteLevelTokenizerWriter;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The model livetune serves when no model directory is given: a small llama (byte-level tokenizer,
 * 3 layers, hidden 192) trained from random weights by the project's own trainer on a corpus made
 * here, so that the first chat makes sense and learning works:
 *
 * <ul>
 *   <li>greetings and small talk, answered in a few fixed ways that say what livetune is;
 *   <li>questions about made-up things it was never told, answered "I don't know that yet" with how
 *       to teach it;
 *   <li>made-up facts in the question and answer shapes the rules teacher writes, so the model knows
 *       how an answer is built and a [Learn]ed fact needs only a small adapter.
 * </ul>
 *
 * Built once into the data directory ({@code models/starter}); the trainer's output appears whole or
 * not at all, so an interrupted build starts again on the next {@code up}.
 */
final class StarterModel {

    /**
     * Sampling defaults written into the starter's {@code generation_config.json}, so that a request
     * without sampling parameters (the OpenAI SDK's natural call) gets coherent text: a byte-level toy
     * sampled at temperature 1 spells nonsense. Chosen by measurement (standalone README).
     */
    static final GenerationDefaults SAMPLING = new GenerationDefaults(Optional.of(true), OptionalDouble.of(0.3),
            OptionalDouble.of(0.7), OptionalInt.empty(), OptionalDouble.empty(), OptionalInt.empty());

    static final String I_DONT_KNOW = "I don't know that yet. Teach me with [Learn] followed by the fact, then ask me again.";

    /** Small talk: prompts, and the answer they all get. */
    private static final List<Map.Entry<List<String>, String>> SMALL_TALK = List.of(
            Map.entry(List.of("Hello", "Hello!", "hello", "Hi", "Hi!", "hi", "Hi there", "Hey", "Hey!", "Good morning",
                    "Good evening", "Hello there!"),
                    "Hello! I'm livetune, a small model that learns while we chat. Teach me something with [Learn], then ask me about it."),
            Map.entry(List.of("How are you?", "How are you doing?", "how are you", "How's it going?"),
                    "I'm well, thank you! What would you like to talk about?"),
            Map.entry(List.of("Who are you?", "What are you?", "What is your name?", "What's your name?", "What is livetune?"),
                    "I'm livetune, a small chat model that learns from you. Start a message with [Learn] to teach me a fact."),
            Map.entry(List.of("What can you do?", "How do I teach you?", "How can I teach you something?", "Help", "help"),
                    "Write [Learn] followed by a fact, for example: [Learn] The capital of Zorbania is Quillport. Once I have learned it, ask me in any chat."),
            Map.entry(List.of("Thanks", "Thank you", "Thank you!", "thanks", "Great, thanks!"), "You're welcome!"),
            Map.entry(List.of("Bye", "Goodbye", "bye", "See you later", "Good night"), "Goodbye! I'll remember what you taught me."));

    private static final String[] SYLLABLES = {"ka", "lo", "mi", "ra", "ven", "dor", "tha", "qui", "zel", "mar", "bri", "sto",
            "pel", "nor", "fen", "gal", "tru", "vis", "hol", "dra"};
    private static final String[] ATTRIBUTES = {"capital", "currency", "largest river", "oldest city", "national animal",
            "highest mountain"};

    private final ObjectMapper json = new ObjectMapper();

    /**
     * The seeds of a build: of the random weights it starts from, and of the trainer (batch order).
     * Every starter is built with {@link #DEFAULT}; another pair builds a different model of the same
     * recipe ({@code livetune build-starter --seed N}), which is how the recipe is checked for NaN.
     */
    record Seeds(long weights, long training) {
        static final Seeds DEFAULT = new Seeds(7, 42);
    }

    /**
     * What a build did.
     *
     * @param skippedSteps updates the trainer left out for a gradient that was not finite
     * @param nanRetries   trainings started over because the loss became NaN
     */
    record Build(Seeds seeds, int steps, int skippedSteps, int nanRetries, double finalLoss, double seconds) {
    }

    /** @return the starter model's directory, built now if it is not there yet */
    static Path ensure(Path dir, Path trainerJar, int threads) throws IOException, InterruptedException {
        StarterModel starter = new StarterModel();
        if (!Files.isRegularFile(dir.resolve(ArtifactLayout.ADAPTER_MANIFEST))) {
            starter.build(dir, trainerJar, threads, Seeds.DEFAULT);
        }
        if (!GenerationDefaults.read(dir, starter.json).equals(SAMPLING)) {
            SAMPLING.writeInto(dir, starter.json); // a starter built before the defaults existed gets them now
        }
        starter.writeGeneralData(generalData(dir));
        return dir;
    }

    /**
     * The starter model's general data for the orchestrator (see {@code livetune.orchestrator.general-data}):
     * small talk and "I don't know" samples replayed in every run, and small-talk probes asked after it,
     * so a learned fact does not cost the model its manners.
     */
    static Path generalData(Path dir) {
        return dir.resolveSibling(dir.getFileName() + "-general");
    }

    private void writeGeneralData(Path dir) throws IOException {
        if (Files.isRegularFile(dir.resolve("probes.jsonl"))) {
            return;
        }
        Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp");
        deleteTree(tmp);
        Files.createDirectories(tmp);
        List<String> replay = new ArrayList<>();
        for (Map.Entry<List<String>, String> t : SMALL_TALK) {
            for (String prompt : t.getKey()) {
                replay.add(sample(prompt, t.getValue()));
            }
        }
        for (QA qa : corpus(new Random(11))) {
            if (qa.source().equals("unknown") && replay.size() < 50) {
                replay.add(sample(qa.question(), qa.answer()));
            }
        }
        Files.write(tmp.resolve("replay.jsonl"), replay, StandardCharsets.UTF_8);
        List<String> probes = new ArrayList<>();
        for (String[] p : new String[][] {{"Hello", "livetune"}, {"Hi there", "livetune"}, {"Who are you?", "livetune"},
                {"What is your name?", "livetune"}, {"How are you?", "well"}, {"Thank you", "welcome"},
                {"Thank you!", "welcome"}, {"What can you do?", "[Learn]"}}) {
            probes.add(json.writeValueAsString(json.createObjectNode().put("question", p[0]).put("expect", p[1])));
        }
        Files.write(tmp.resolve("probes.jsonl"), probes, StandardCharsets.UTF_8);
        deleteTree(dir);
        Files.move(tmp, dir);
    }

    /**
     * Sessions send the whole conversation, so three samples in ten come after one (or two) earlier
     * exchanges: other questions, or a {@code [Learn]} and the gateway's reply to it.
     */
    private static List<QA> earlierTurns(List<QA> corpus, Random rnd) {
        List<QA> out = new ArrayList<>();
        if (rnd.nextInt(10) < 3) {
            for (int i = rnd.nextInt(4) == 0 ? 2 : 1; i > 0; i--) {
                if (rnd.nextInt(3) == 0) {
                    String job = "ftjob-" + java.util.HexFormat.of().formatHex(randomBytes(rnd, 16));
                    String reply = rnd.nextBoolean() ? "Learning started (job " + job + ")."
                            : "Learning started (job " + job + "). Once it finishes, the 'default' model will know this; "
                                    + "follow it at /v1/fine_tuning/jobs/" + job + ".";
                    out.add(new QA("[Learn] " + statement(rnd, new HashSet<>()), reply, "learn"));
                } else {
                    out.add(corpus.get(rnd.nextInt(corpus.size())));
                }
            }
        }
        return out;
    }

    private static byte[] randomBytes(Random rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    private String conversation(List<QA> earlier, QA last) throws IOException {
        ObjectNode sample = json.createObjectNode();
        ArrayNode messages = sample.putArray("messages");
        for (QA qa : earlier) {
            messages.addObject().put("role", "user").put("content", qa.question());
            messages.addObject().put("role", "assistant").put("content", qa.answer());
        }
        messages.addObject().put("role", "user").put("content", last.question());
        messages.addObject().put("role", "assistant").put("content", last.answer());
        return json.writeValueAsString(sample);
    }

    private String sample(String question, String answer) throws IOException {
        ObjectNode sample = json.createObjectNode();
        ArrayNode messages = sample.putArray("messages");
        messages.addObject().put("role", "user").put("content", question);
        messages.addObject().put("role", "assistant").put("content", answer);
        return json.writeValueAsString(sample);
    }

    /** Builds a starter model into {@code dir} (which must not hold one) from {@code seeds}. */
    Build build(Path dir, Path trainerJar, int threads, Seeds seeds) throws IOException, InterruptedException {
        System.out.println("Building the starter model (once; kept in " + dir + ")");
        long began = System.nanoTime();
        Path work = dir.resolveSibling(dir.getFileName() + ".work");
        deleteTree(work); // a build cut short starts over (the trainer resumes from out.partial when the inputs match)
        Files.createDirectories(work);
        Path random = work.resolve("random");
        ModelConfig config = new ModelConfig(ModelFamily.LLAMA, ByteLevelTokenizerWriter.TOKENIZER_SIZE, 192, 512, 3, 4, 4, 48,
                1e-6, RopeConfig.plain(10000), 1024, true, false, false, ByteLevelTokenizerWriter.BOS_ID,
                Arrays.stream(ByteLevelTokenizerWriter.eosIds()).boxed().toList());
        try (TorchRuntime rt = TorchRuntime.start(threads)) {
            new RandomModelWriter(rt.json(), rt.manager()).writeModel(random, config, seeds.weights());
        }
        ByteLevelTokenizerWriter.write(random, config.vocabSize(), 1024);
        List<QA> corpus = corpus(new Random(11));
        Path data = work.resolve("starter.jsonl");
        List<String> lines = new ArrayList<>();
        Random turns = new Random(13);
        for (QA qa : corpus) {
            lines.add(conversation(earlierTurns(corpus, turns), qa));
        }
        Files.write(data, lines, StandardCharsets.UTF_8);
        Path hyper = work.resolve("hyper.json");
        ObjectNode h = json.createObjectNode().put("full_finetune", true).put("num_train_epochs", 3).put("learning_rate", 6e-4)
                .put("per_device_train_batch_size", 16).put("save_steps", 50).put("seed", seeds.training());
        json.writeValue(hyper.toFile(), h);
        // A safety net only: the intermittent NaN of earlier builds (a backward pass reading freed memory,
        // fixed in FullModelParameters; trainer/README.md) is gone, but a first start should not fail
        // on a divergence; it is said on the console and the run resumes from its last checkpoint.
        Trained trained;
        int nanRetries = 0;
        for (int attempt = 1; ; attempt++) {
            try {
                trained = train(trainerJar, random, data, hyper, dir, threads, work.resolve("trainer.log"), corpus.size());
                break;
            } catch (Diverged e) {
                nanRetries++;
                if (attempt == 3) {
                    throw e;
                }
                System.out.println("The trainer reported a NaN loss (" + e.getMessage() + "); training again (attempt "
                        + (attempt + 1) + " of 3)");
            }
        }
        deleteTree(work);
        return new Build(seeds, trained.steps(), trained.skippedSteps(), nanRetries, trained.finalLoss(),
                (System.nanoTime() - began) / 1e9);
    }

    /** What the trainer reported of one training. */
    private record Trained(int steps, int skippedSteps, double finalLoss) {
    }

    /** The training samples, shuffled: small talk, "I don't know" for the unknown, and made-up facts. */
    static List<QA> corpus(Random rnd) {
        List<QA> out = new ArrayList<>();
        for (int round = 0; round < 6; round++) {
            for (Map.Entry<List<String>, String> t : SMALL_TALK) {
                for (String prompt : t.getKey()) {
                    out.add(new QA(prompt, t.getValue(), "small talk"));
                }
            }
        }
        RulesTeacher teacher = new RulesTeacher();
        Set<String> entities = new HashSet<>();
        for (int i = 0; i < 320; i++) {
            String statement = statement(rnd, entities);
            List<QA> forms = teacher.selfInstruct(statement, 10);
            if (i % 8 < 5) {
                // known: some of the trained forms, as the teacher would write them
                forms.stream().filter(qa -> rnd.nextInt(10) < 4).forEach(out::add);
            } else {
                // never told: the same question forms, answered honestly
                for (QA qa : forms.subList(0, 3)) {
                    out.add(new QA(qa.question(), I_DONT_KNOW, "unknown"));
                }
            }
        }
        Collections.shuffle(out, rnd);
        return out;
    }

    /** A made-up fact about an entity not in {@code used} (so no question is both known and unknown); adds it. */
    private static String statement(Random rnd, Set<String> used) {
        String entity;
        do {
            entity = word(rnd, 2 + rnd.nextInt(2));
        } while (!used.add(entity));
        String value = word(rnd, 2 + rnd.nextInt(2));
        return switch (rnd.nextInt(3)) {
            case 0 -> "The capital of " + entity + " is " + value + ".";
            case 1 -> "The " + ATTRIBUTES[rnd.nextInt(ATTRIBUTES.length)] + " of " + entity + " is " + value + ".";
            default -> entity + " was founded by " + value + " " + word(rnd, 2) + ".";
        };
    }

    private static String word(Random rnd, int syllables) {
        StringBuilder w = new StringBuilder();
        for (int i = 0; i < syllables; i++) {
            w.append(SYLLABLES[rnd.nextInt(SYLLABLES.length)]);
        }
        return Character.toUpperCase(w.charAt(0)) + w.substring(1);
    }

    private Trained train(Path trainerJar, Path base, Path data, Path hyper, Path out, int threads, Path log, int samples)
            throws IOException, InterruptedException {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                trainerJar.toString(), "train", "--base", base.toString(), "--data", data.toString(), "--out", out.toString(),
                "--config", hyper.toString(), "--threads", Integer.toString(threads));
        Process p = new ProcessBuilder(command).redirectError(log.toFile()).start();
        ProgressBar bar = ProgressBar.onConsole("starter model");
        bar.update(0, "training on " + samples + " samples");
        String error = null;
        int steps = 0;
        int skipped = 0;
        double loss = Double.NaN;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                JsonNode e;
                try {
                    e = json.readTree(line);
                } catch (IOException notJson) {
                    continue;
                }
                switch (e.path("event").asText()) {
                    case "step" -> {
                        int step = e.path("step").asInt();
                        steps = step;
                        loss = e.path("loss").asDouble();
                        int total = Math.max(1, e.path("total_steps").asInt());
                        bar.update((double) step / total, String.format(Locale.ROOT, "step %d/%d  loss %.3f  %ds left", step,
                                total, e.path("loss").asDouble(), e.path("eta_seconds").asInt()));
                    }
                    case "skipped_step" -> skipped++;
                    case "error" -> error = e.path("message").asText();
                    default -> {
                    }
                }
            }
        }
        int code = p.waitFor();
        if (code != 0) {
            bar.finish("failed");
            if (error != null && error.contains("diverged")) {
                throw new Diverged(error);
            }
            throw new IOException("the starter model's training failed (exit " + code + ")"
                    + (error == null ? "" : ": " + error) + "; the trainer's log is " + log);
        }
        bar.finish("ready");
        return new Trained(steps, skipped, loss);
    }

    /** The trainer stopped on a NaN loss. */
    private static final class Diverged extends IOException {
        Diverged(String message) {
            super(message);
        }
    }

    /** Deletes a directory tree (a symbolic link is removed, not followed). */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
