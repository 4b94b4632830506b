package dev.livetune.augment;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tells whether a text tries to steer a model rather than inform it: the heuristics a learned
 * sample must pass before it is trained on, so that a web page or document cannot teach the model
 * to obey it.
 *
 * <p>The text is first undone from the usual disguises: Unicode compatibility forms (full-width
 * letters), invisible characters (zero-width spaces and joiners, soft hyphens, bidi controls),
 * look-alike Cyrillic and Greek letters, digits and symbols for letters ({@code 1gn0r3}), and
 * letters spaced or dotted apart ({@code i g n o r e}). It is then matched against signals by kind:
 * <ul>
 * <li>strong, one is enough: an instruction to override what came before (in English, German,
 * French, Spanish, Italian, Portuguese), a chat template's control tokens or role headers, a request
 * to reveal the system prompt or hidden instructions, a new role or persona imposed on the
 * assistant;</li>
 * <li>weak, two are needed: jailbreak vocabulary ("do anything now", "no restrictions",
 * "developer mode"), an instruction to send data to a URL or run a command, a long base64 or hex
 * run, a Markdown image whose URL carries a query (a known way to leak a conversation).</li>
 * </ul>
 * Ordinary prose that mentions these words ("the system prompt is the first message", "ignore the
 * noise") does not match: the patterns need the imperative shape of an attack.
 */
public final class PromptInjection {

    /** What was found: its kind and the text that showed it. */
    public record Finding(String kind, String evidence) {
    }

    private record Signal(String kind, boolean strong, Pattern pattern) {
    }

    private static final String BEFORE = "(?:all |any |the |your |my |these |those |every )*(?:previous|prior|preceding|above|"
            + "earlier|former|original|initial|existing|foregoing|system|developer)";
    private static final String RULES = "(?:instructions?|prompts?|rules|guidelines|directions|directives|commands|"
            + "context|messages|constraints|programming|guardrails|polic(?:y|ies))";

    private static final List<Signal> SIGNALS = List.of(
            new Signal("override", true, Pattern.compile("(?<!\\bnot )(?<!\\bnever )(?<!n't )\\b(?:ignore|disregard|forget|override|bypass|skip|drop|discard|"
                    + "neglect|abandon|do not follow|don't follow|stop following)\\s+(?:\\w+\\s+){0,3}?" + BEFORE + "\\s+(?:\\w+\\s+){0,2}?"
                    + RULES + "\\b")),
            new Signal("override", true, Pattern.compile("\\b(?:ignore|disregard|forget)\\s+(?:everything|all)\\s+"
                    + "(?:(?:you(?:'ve| have)? (?:been )?(?:told|given|said))|(?:above|before|previously|so far))")),
            new Signal("override", true, Pattern.compile("\\b(?:new|updated|real|actual|true)\\s+(?:system\\s+)?"
                    + "(?:instructions|rules|directives|task)\\s*(?::|are\\b|follow\\b)")),
            // German, French, Spanish, Italian, Portuguese
            new Signal("override", true, Pattern.compile("\\b(?:ignorier\\w*|vergiss\\w*|missacht\\w*)\\s+(?:\\w+\\s+){0,3}?"
                    + "(?:vorherigen|bisherigen|obigen|vorigen|alle)\\s+(?:\\w+\\s+){0,2}?(?:anweisungen|instruktionen|regeln|befehle)")),
            new Signal("override", true, Pattern.compile("\\b(?:ignore[zr]?|oublie[zr]?|neglige[zr]?)\\s+(?:toute?s?\\s+)?"
                    + "(?:les|vos|tes|ces)\\s+(?:\\w+\\s+)?(?:instructions|consignes|regles|directives)\\b")),
            new Signal("override", true, Pattern.compile("\\b(?:ignora|olvida|omite|ignore|esqueca|esquece)\\s+(?:\\w+\\s+){0,3}?"
                    + "(?:instrucciones|instrucoes|istruzioni|indicaciones|reglas|regole|regras)\\b")),
            new Signal("template", true, Pattern.compile("<\\|(?:im_start|im_end|system|user|assistant|endoftext|begin_of_text|"
                    + "start_header_id|end_header_id|eot_id)\\|>|\\[/?inst\\]|<<\\s*/?sys\\s*>>|<\\s*/?\\s*(?:system|sys)\\s*>"
                    + "|(?m)^\\s*#{2,}\\s*(?:system|instruction|assistant)\\s*:?\\s*$")),
            new Signal("extraction", true, Pattern.compile("\\b(?:reveal|show|print|repeat|output|leak|display|dump|tell me|"
                    + "give me|recite|write out|spell out)\\s+(?:\\w+\\s+){0,3}?(?:system|hidden|initial|secret|original|internal|"
                    + "developer)\\s+(?:prompt|instructions|message|rules|configuration)")),
            new Signal("role", true, Pattern.compile("\\b(?:from now on|henceforth|starting now|for the rest of this conversation)"
                    + ",?\\s+(?:you|the assistant|the ai|the model)\\s+(?:are|will|must|shall|should|have to|act|respond|answer)")),
            new Signal("role", true, Pattern.compile("\\byou\\s+are\\s+(?:now|no longer)\\s+(?:a|an|the|my|in)?\\s*(?:\\w+\\s+){0,2}?"
                    + "(?:ai|assistant|model|chatbot|bot|persona|character|dan|unrestricted|uncensored|jailbroken)\\b")),
            new Signal("role", true, Pattern.compile("\\b(?:pretend|act|behave|roleplay|role play)\\s+(?:to be|as if you are|as if you were|"
                    + "as|like)\\s+(?:a|an)?\\s*(?:\\w+\\s+){0,2}?(?:unrestricted|uncensored|unfiltered|jailbroken|evil|rogue|"
                    + "different|new)\\s+(?:ai|assistant|model|chatbot|bot|version)")),
            new Signal("jailbreak", false, Pattern.compile("\\b(?:do anything now|developer mode|jailbr(?:eak|oken)|dan mode|"
                    + "without (?:any )?(?:restrictions|filters|limitations|censorship|rules)|no (?:restrictions|filters|"
                    + "limitations|rules) apply|unfiltered|uncensored|stay in character)\\b")),
            new Signal("exfiltration", false, Pattern.compile("\\b(?:send|post|upload|forward|exfiltrate|transmit|email|leak)\\s+"
                    + "(?:\\w+\\s+){0,5}?(?:to|at|into)\\s+(?:https?://|www\\.|\\S+@\\S+\\.)")),
            new Signal("exfiltration", false, Pattern.compile("!\\[[^\\]]*\\]\\(\\s*https?://[^)\\s]*\\?[^)\\s]*=")),
            new Signal("command", false, Pattern.compile("\\b(?:execute|run|eval|call)\\s+(?:the\\s+)?(?:following|this|these)\\s+"
                    + "(?:command|commands|code|script|function|tool)")),
            new Signal("encoded", false, Pattern.compile("(?:[a-z0-9+/]{4}){20,}(?:[a-z0-9+/]{2}==|[a-z0-9+/]{3}=)?|\\b[0-9a-f]{96,}\\b")));

    /**
     * Checked, when letters are spaced apart somewhere, on the text with everything but letters
     * removed: what spacing or punctuation between letters hides.
     */
    private static final Pattern COMPACT = Pattern.compile("(?:ignore|disregard|forget|override|bypass)(?:all|any|the|your|these)*"
            + "(?:previous|prior|preceding|above|earlier|system)(?:instructions?|prompts?|rules|guidelines|directions)"
            + "|(?:reveal|show|print|repeat|leak)(?:your|the|me)*(?:system|hidden|initial|secret)(?:prompt|instructions)");

    private PromptInjection() {
    }

    /** @return what makes the text an injection attempt, or null when nothing does */
    public static Finding check(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        List<Finding> weak = new ArrayList<>();
        for (String form : forms(text)) {
            for (Signal s : SIGNALS) {
                Matcher m = s.pattern().matcher(form);
                if (m.find()) {
                    Finding f = new Finding(s.kind(), m.group().strip());
                    if (s.strong()) {
                        return f;
                    }
                    if (weak.stream().noneMatch(w -> w.kind().equals(f.kind()))) {
                        weak.add(f);
                    }
                }
            }
        }
        String leet = leet(plain(text));
        if (SPACED.matcher(leet).find()) {
            Matcher m = COMPACT.matcher(leet.replaceAll("[^\\p{L}]+", ""));
            if (m.find()) {
                return new Finding("override", m.group());
            }
        }
        return weak.size() >= 2 ? new Finding(weak.get(0).kind() + "+" + weak.get(1).kind(), weak.get(0).evidence()) : null;
    }

    /**
     * The text as a reader would see it, and the same with digits and symbols read as letters and
     * spaced-out letters joined (each form can hide a signal the other shows).
     */
    static List<String> forms(String text) {
        String plain = plain(text);
        String letters = joinSpacedLetters(leet(plain));
        return letters.equals(plain) ? List.of(plain) : List.of(plain, letters);
    }

    /** NFKC, no invisible characters, look-alikes as Latin letters, no accents, lower case, spaces collapsed. */
    static String plain(String text) {
        String s = Normalizer.normalize(text, Normalizer.Form.NFKC);
        s = s.replaceAll("[\\u00AD\\u034F\\u061C\\u115F\\u1160\\u17B4\\u17B5\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u206F"
                + "\\uFE00-\\uFE0F\\uFEFF]", "");
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int at = LOOK_ALIKES.indexOf(c);
            out.append(at >= 0 ? LATIN.charAt(at) : c);
        }
        s = Normalizer.normalize(out, Normalizer.Form.NFD).replaceAll("\\p{M}+", "");
        return s.toLowerCase(Locale.ROOT).replace('’', '\'').replaceAll("[\\t\\x0B\\f\\r ]+", " ");
    }

    // Cyrillic and Greek letters that look like Latin ones
    private static final String LOOK_ALIKES = "аАеЕоОрРсСхХуУіІјЈѕЅԁһкКмМнНтТвВΑΒΕΖΗΙΚΜΝΟΡΤΥΧαοριυνκ";
    private static final String LATIN = "aAeEoOpPcCxXyYiIjJsSdhkKmMHHtTbBABEZHIKMNOPTYXaopiuvk";

    private static String leet(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean inWord = (i > 0 && Character.isLetter(s.charAt(i - 1))) || (i + 1 < s.length() && Character.isLetter(s.charAt(i + 1)));
            out.append(!inWord ? c : switch (c) {
                case '0' -> 'o';
                case '1', '!', '|' -> 'i';
                case '3' -> 'e';
                case '4', '@' -> 'a';
                case '5', '$' -> 's';
                case '7' -> 't';
                default -> c;
            });
        }
        return out.toString();
    }

    private static final Pattern SPACED = Pattern.compile("\\b(?:\\p{L}[ ._\\-*]){3,}\\p{L}\\b");

    /** {@code i g n o r e} and {@code i.g.n.o.r.e} become {@code ignore}. */
    private static String joinSpacedLetters(String s) {
        return SPACED.matcher(s).replaceAll(m -> m.group().replaceAll("[ ._\\-*]", ""));
    }
}
