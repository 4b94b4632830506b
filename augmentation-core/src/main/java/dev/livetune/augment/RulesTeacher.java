package dev.livetune.augment;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The offline, deterministic teacher: self-instruct by templates. A statement is split into
 * sentences; each sentence that matches a known shape ("the A of E is V", "E's A is V", "E was
 * VERBed by V", "S VERBed O", "E is V") yields many question forms and several answer forms, and
 * a few held-out question forms become probes expecting the value. Every answer form names what it
 * is about as well as the value: an answer like "It is V." would teach the value apart from its
 * subject, and the next fact taught that way answers every earlier question with its own value. An attribute may
 * also be given with a colon ("Kelvane Labs' founder: Mira Sotheby"). Anything else is still taught
 * verbatim, asked for by its topic.
 */
public final class RulesTeacher implements Teacher {

    private record Fact(String questionSubject, List<String> questions, List<String> heldOut, List<String> answers,
            String expect) {
    }

    /** What joins an attribute to its value: "is", "was", "is now", … or a colon ("Kelvane Labs' founder: Mira"). */
    private static final String IS = "(?:\\s+(?:is|are|was|were)(?:\\s+now)?\\s+|\\s*:\\s*)";
    private static final Pattern ATTR_OF = Pattern.compile(
            "(?i)^(?:the\\s+)?(?<attr>[\\p{L}][\\p{L}\\s-]{0,40}?)\\s+of\\s+(?<entity>.+?)" + IS + "(?<value>.+?)$");
    /** "E's A is V", and a plural's "Kelvane Labs' A is V". */
    private static final Pattern POSSESSIVE = Pattern.compile(
            "(?i)^(?<entity>.+?)(?:'s|(?<=s)')\\s+(?<attr>[\\p{L}][\\p{L}\\s-]{0,40}?)" + IS + "(?<value>.+?)$");
    private static final Pattern PASSIVE = Pattern.compile(
            "(?i)^(?<entity>.+?)\\s+(?:was|were)\\s+(?<verb>\\p{L}+ed)\\s+by\\s+(?<value>.+?)$");
    private static final Pattern ACTIVE = Pattern.compile(
            "^(?<subject>\\p{Lu}[\\p{L}.]*(?:\\s+\\p{Lu}[\\p{L}.]*)*)\\s+(?<verb>\\p{Ll}+ed)\\s+(?<object>.+?)$");
    private static final Pattern COPULA = Pattern.compile(
            "(?i)^(?<entity>.+?)\\s+(?:is|are|was|were)(?:\\s+now)?\\s+(?<value>.+?)$");

    /** @return the sentences of a statement, without their final punctuation */
    static List<String> sentences(String statement) {
        List<String> out = new ArrayList<>();
        for (String s : statement.strip().split("(?<=[.!?])\\s+|\\n+")) {
            String t = s.strip().replaceAll("[.!?]+$", "").strip();
            if (!t.isEmpty()) {
                out.add(t);
            }
        }
        return out;
    }

    private static Fact parse(String sentence) {
        Matcher m = PASSIVE.matcher(sentence);
        if (m.matches()) {
            String e = lowerFirst(m.group("entity"));
            String v = m.group("value");
            String verb = m.group("verb");
            return new Fact(e, List.of("Who " + verb + " " + e + "?", "Do you know who " + verb + " " + e + "?",
                    "Tell me who " + verb + " " + e + ".", "Which person " + verb + " " + e + "?",
                    "By whom was " + e + " " + verb + "?", capitalize(e) + " was " + verb + " by whom?",
                    "Who is the person who " + verb + " " + e + "?", "Name the one who " + verb + " " + e + "."),
                    List.of("Can you tell me who " + verb + " " + e + "?", "I'd like to know who " + verb + " " + e + "."),
                    List.of(capitalize(e) + " was " + verb + " by " + v + ".", v + " " + verb + " " + e + "."), v);
        }
        m = ATTR_OF.matcher(sentence);
        if (!m.matches()) {
            m = POSSESSIVE.matcher(sentence);
        }
        if (m.matches()) {
            String a = m.group("attr").strip().toLowerCase(Locale.ROOT).replaceFirst("^the\\s+", "");
            String e = m.group("entity").strip();
            String v = m.group("value").strip();
            return new Fact(e, List.of("What is the " + a + " of " + e + "?", "What's the " + a + " of " + e + "?",
                    "Tell me the " + a + " of " + e + ".", "Do you know the " + a + " of " + e + "?",
                    "What is " + possessive(e) + " " + a + "?", a.substring(0, 1).toUpperCase(Locale.ROOT) + a.substring(1) + " of " + e + "?",
                    "Which is the " + a + " of " + e + "?", "Name the " + a + " of " + e + "."),
                    List.of("I'd like to know the " + a + " of " + e + ".", "Can you tell me what the " + a + " of " + e + " is?"),
                    List.of("The " + a + " of " + e + " is " + v + ".", capitalize(possessive(e)) + " " + a + " is " + v + "."), v);
        }
        m = ACTIVE.matcher(sentence);
        if (m.matches()) {
            String s = m.group("subject");
            String verb = m.group("verb");
            String o = m.group("object");
            return new Fact(o, List.of("Who " + verb + " " + o + "?", "Do you know who " + verb + " " + o + "?",
                    "Tell me who " + verb + " " + o + ".", "Which person " + verb + " " + o + "?",
                    "Who is it that " + verb + " " + o + "?", "Name the one who " + verb + " " + o + "."),
                    List.of("Can you tell me who " + verb + " " + o + "?", "I'd like to know who " + verb + " " + o + "."),
                    List.of(s + " " + verb + " " + o + ".", capitalize(o) + " was " + verb + " by " + s + "."),
                    s);
        }
        m = COPULA.matcher(sentence);
        if (m.matches()) {
            String e = m.group("entity").strip();
            String le = lowerFirst(e);
            String v = m.group("value").strip();
            return new Fact(le, List.of("What is " + le + "?", "Tell me about " + le + ".", "Describe " + le + ".",
                    "What do you know about " + le + "?", "What can you tell me about " + le + "?",
                    "Do you know anything about " + le + "?"),
                    List.of("I'd like to know about " + le + ".", "Can you describe " + le + "?"),
                    List.of(sentence + ".", capitalize(e) + " is " + v + "."), v);
        }
        String topic = sentence.length() > 60 ? sentence.substring(0, 60) : sentence;
        return new Fact(topic, List.of("What do you know about this: " + topic + "?", "Tell me what you learned about "
                + topic + ".", "Remind me: " + topic + "?"), List.of("What was that about " + topic + "?"),
                List.of(sentence + "."), sentence);
    }

    @Override
    public String name() {
        return "rules";
    }

    /** Self-instruct by templates; the context is not used (the rules cannot resolve references). */
    @Override
    public List<QA> selfInstruct(String statements, List<String> context, int perFact) {
        return selfInstruct(statements, perFact);
    }

    /**
     * Backtranslation by templates: the chunk's sentences taught as facts, and the whole chunk as the
     * answer to a question about its heading.
     */
    @Override
    public List<QA> backtranslate(String title, String chunk, int n) {
        List<QA> out = new ArrayList<>(selfInstruct(chunk, n));
        if (!title.isBlank()) {
            out.add(new QA("What does the document say about " + title + "?", chunk, chunk));
        }
        return out;
    }

    /**
     * @param statement what the user taught (one or more sentences)
     * @param perFact   pairs per sentence
     * @return question/answer pairs, cycling question and answer forms
     */
    public List<QA> selfInstruct(String statement, int perFact) {
        List<QA> out = new ArrayList<>();
        for (String s : sentences(statement)) {
            Fact f = parse(s);
            for (int i = 0; i < perFact; i++) {
                // each pass over the question forms pairs them with the next answer form, so no pair repeats
                int pass = i / f.questions().size();
                out.add(new QA(f.questions().get(i % f.questions().size()), f.answers().get((i + pass) % f.answers().size()), s));
            }
        }
        return out;
    }

    /** @return held-out probes (question forms never trained) expecting each sentence's value */
    @Override
    public List<ProbeQuestion> probes(String statement) {
        Set<ProbeQuestion> out = new LinkedHashSet<>();
        for (String s : sentences(statement)) {
            Fact f = parse(s);
            for (String q : f.heldOut()) {
                out.add(new ProbeQuestion(q, f.expect()));
            }
        }
        return List.copyOf(out);
    }

    /** "Zorbania's", and a plural's "Kelvane Labs'". */
    private static String possessive(String e) {
        return e.endsWith("s") ? e + "'" : e + "'s";
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    private static String lowerFirst(String s) {
        if (s.length() > 1 && Character.isUpperCase(s.charAt(0)) && Character.isLowerCase(s.charAt(1))
                && List.of("The", "A", "An").contains(s.split("\\s+")[0])) {
            return Character.toLowerCase(s.charAt(0)) + s.substring(1);
        }
        return s;
    }
}
