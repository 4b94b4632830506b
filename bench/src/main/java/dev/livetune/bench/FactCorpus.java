package dev.livetune.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.llm.train.Probe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Made-up facts and the chat samples that teach them, generated from a seed: entities and values
 * are invented words, so no model can know them beforehand. Each relation has ten question forms
 * (the first eight are trained, the last two held out as paraphrases) and three answer forms.
 */
final class FactCorpus {

    /** One made-up fact. */
    record Fact(Relation relation, String entity, String value) {

        String question(int form) {
            return relation.questions().get(form).replace("{e}", entity);
        }

        String answer(int form) {
            return relation.answers().get(form % relation.answers().size()).replace("{e}", entity).replace("{v}", value);
        }
    }

    /** A kind of fact and how people ask and answer about it. */
    record Relation(String name, String valueKind, List<String> questions, List<String> answers) {
    }

    static final int TRAINED_FORMS = 8;

    static final List<Relation> RELATIONS = List.of(
            new Relation("capital", "place", List.of("What is the capital of {e}?", "Which city is the capital of {e}?",
                    "Tell me the capital of {e}.", "Name the capital city of {e}.", "What's the capital of {e}?",
                    "Do you know the capital of {e}?", "Capital of {e}?", "Which city serves as the capital of {e}?",
                    "I'd like to know the capital of {e}.", "What city is the seat of government of {e}?"),
                    List.of("The capital of {e} is {v}.", "{v} is the capital of {e}.", "It is {v}.")),
            new Relation("inventor", "person", List.of("Who invented the {e}?", "Who is the inventor of the {e}?",
                    "Tell me who invented the {e}.", "Who created the {e}?", "Name the inventor of the {e}.",
                    "Do you know who invented the {e}?", "Inventor of the {e}?", "Which person invented the {e}?",
                    "I'd like to know who came up with the {e}.", "Whose invention is the {e}?"),
                    List.of("The {e} was invented by {v}.", "{v} invented the {e}.", "It was {v}.")),
            new Relation("color", "color", List.of("What color is a {e}?", "What is the color of a {e}?",
                    "Tell me the color of a {e}.", "Which color does a {e} have?", "What colour is a {e}?",
                    "Do you know what color a {e} is?", "Color of a {e}?", "Which color is a {e}?",
                    "I'd like to know the color of a {e}.", "What hue does a {e} have?"),
                    List.of("A {e} is {v}.", "The {e} is {v}.", "It is {v}.")),
            new Relation("founded", "year", List.of("When was {e} founded?", "In what year was {e} founded?",
                    "Tell me when {e} was founded.", "What year was {e} founded?", "When did {e} get founded?",
                    "Do you know when {e} was founded?", "Founding year of {e}?", "Which year was {e} founded in?",
                    "I'd like to know when {e} was established.", "How long ago, in which year, did {e} begin?"),
                    List.of("{e} was founded in {v}.", "It was founded in {v}.", "In {v}.")),
            new Relation("leader", "person", List.of("Who leads {e}?", "Who is the leader of {e}?",
                    "Tell me who leads {e}.", "Who is in charge of {e}?", "Name the leader of {e}.",
                    "Do you know who leads {e}?", "Leader of {e}?", "Which person leads {e}?",
                    "I'd like to know who heads {e}.", "Who is at the head of {e}?"),
                    List.of("{e} is led by {v}.", "{v} leads {e}.", "It is led by {v}.")));

    private static final String[] SYLLABLES = {"ka", "lo", "mi", "ra", "ven", "dor", "tha", "qui", "zel", "mar",
            "bri", "sto", "pel", "nor", "vas", "lin", "gar", "tes", "umb", "ol", "fen", "rik", "sar", "del"};
    private static final String[] COLORS = {"red", "blue", "green", "violet", "amber", "silver", "teal", "crimson",
            "golden", "white", "black", "orange"};

    private final SplittableRandom random;
    private final Set<String> used = new HashSet<>();

    FactCorpus(long seed) {
        this.random = new SplittableRandom(seed);
    }

    private String word(int syllables) {
        StringBuilder w = new StringBuilder();
        for (int i = 0; i < syllables; i++) {
            w.append(SYLLABLES[random.nextInt(SYLLABLES.length)]);
        }
        return Character.toUpperCase(w.charAt(0)) + w.substring(1);
    }

    private String fresh(int syllables) {
        String w;
        do {
            w = word(syllables);
        } while (!used.add(w));
        return w;
    }

    private String value(String kind) {
        return switch (kind) {
            case "place" -> fresh(2 + random.nextInt(2));
            case "person" -> fresh(2) + " " + fresh(2);
            case "color" -> COLORS[random.nextInt(COLORS.length)];
            case "year" -> Integer.toString(1200 + random.nextInt(820));
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /** @return {@code n} new facts, relations in turn, every entity unseen before in this corpus */
    List<Fact> facts(int n) {
        List<Fact> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Relation r = RELATIONS.get(i % RELATIONS.size());
            out.add(new Fact(r, fresh(2 + random.nextInt(2)), value(r.valueKind())));
        }
        return out;
    }

    /** @return {@code perFact} samples per fact, cycling through the trained question forms and the answer forms */
    static List<Map<String, Object>> samples(List<Fact> facts, int perFact) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Fact f : facts) {
            for (int i = 0; i < perFact; i++) {
                out.add(chat(f.question(i % TRAINED_FORMS), f.answer(i)));
            }
        }
        return out;
    }

    /**
     * General training: many facts of the same kinds (never the benchmark's), each asked in a few
     * forms, plus greetings, so the model learns the chat format and how answers are built.
     */
    List<Map<String, Object>> general(int facts) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Fact f : facts(facts)) {
            for (int i = 0; i < 4; i++) {
                int form = random.nextInt(f.relation().questions().size());
                out.add(chat(f.question(form), f.answer(random.nextInt(3))));
            }
        }
        String[][] talk = {{"Hello!", "Hello! How can I help you today?"}, {"Hi", "Hi! What would you like to know?"},
                {"Thanks!", "You're welcome!"}, {"Who are you?", "I am livetune, a small model that learns what you teach me."},
                {"Good morning", "Good morning! What can I do for you?"}};
        for (int i = 0; i < facts / 6; i++) {
            String[] t = talk[i % talk.length];
            out.add(chat(t[0], t[1]));
        }
        return out;
    }

    static Map<String, Object> chat(String question, String answer) {
        return Map.of("messages", List.of(Map.of("role", "user", "content", question),
                Map.of("role", "assistant", "content", answer)));
    }

    /** @return probes for each fact in the given question forms */
    static List<Probe> probes(List<Fact> facts, int fromForm, int toForm, String kind) {
        List<Probe> out = new ArrayList<>();
        for (Fact f : facts) {
            for (int form = fromForm; form < toForm; form++) {
                out.add(new Probe(f.question(form), f.value(), kind));
            }
        }
        return out;
    }

    static void writeJsonl(Path file, List<Map<String, Object>> rows, ObjectMapper json) throws IOException {
        StringBuilder s = new StringBuilder();
        for (Map<String, Object> r : rows) {
            s.append(json.writeValueAsString(r)).append('\n');
        }
        Files.writeString(file, s);
    }
}
