package dev.livetune.augment;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Keeps generated pairs worth training on. In order: length bounds, prompt injection ({@link PromptInjection}),
 * answers not grounded in their source (too few of the answer's words occur in it), exact
 * duplicates (after normalisation) and near duplicates (character 5-gram Jaccard similarity of the
 * question and answer at or above a threshold with a kept pair). What is dropped is counted by
 * reason, for the job's events.
 */
public final class QualityFilter {

    /** What survived, and how many went for each reason. */
    public record Result(List<QA> kept, Map<String, Integer> dropped) {
    }

    private final int minQuestion;
    private final int maxQuestion;
    private final int maxAnswer;
    private final double minGrounding;
    private final double nearDuplicate;

    /**
     * @param maxQuestion   longest question kept, in characters
     * @param maxAnswer     longest answer kept
     * @param minGrounding  share of an answer's words that must occur in its source
     * @param nearDuplicate Jaccard similarity at which a pair counts as a repeat
     */
    public QualityFilter(int maxQuestion, int maxAnswer, double minGrounding, double nearDuplicate) {
        this.minQuestion = 3;
        this.maxQuestion = maxQuestion;
        this.maxAnswer = maxAnswer;
        this.minGrounding = minGrounding;
        this.nearDuplicate = nearDuplicate;
    }

    /** Defaults: questions 3–500 characters, answers 1–4000, 60 % grounded, near duplicates at 0.9. */
    public static QualityFilter defaults() {
        return new QualityFilter(500, 4000, 0.6, 0.9);
    }

    public Result filter(List<QA> candidates) {
        Map<String, Integer> dropped = new LinkedHashMap<>();
        List<QA> kept = new ArrayList<>();
        Set<String> exact = new HashSet<>();
        List<Set<String>> shingles = new ArrayList<>();
        for (QA qa : candidates) {
            String reason = reject(qa);
            if (reason == null) {
                String key = normalize(qa.question()) + "\u0000" + normalize(qa.answer());
                if (!exact.add(key)) {
                    reason = "duplicate";
                } else {
                    Set<String> s = shingles(key);
                    for (Set<String> other : shingles) {
                        if (jaccard(s, other) >= nearDuplicate) {
                            reason = "near-duplicate";
                            break;
                        }
                    }
                    if (reason == null) {
                        shingles.add(s);
                    }
                }
            }
            if (reason == null) {
                kept.add(qa);
            } else {
                dropped.merge(reason, 1, Integer::sum);
            }
        }
        return new Result(List.copyOf(kept), dropped);
    }

    private String reject(QA qa) {
        int q = qa.question().strip().length();
        int a = qa.answer().strip().length();
        if (q < minQuestion || q > maxQuestion || a < 1 || a > maxAnswer) {
            return "length";
        }
        if (PromptInjection.check(qa.question()) != null || PromptInjection.check(qa.answer()) != null) {
            return "prompt-injection";
        }
        if (qa.source() != null && grounding(qa.answer(), qa.source()) < minGrounding) {
            return "not-grounded";
        }
        return null;
    }

    /** @return the share of the answer's words (3+ letters) that occur in the source */
    static double grounding(String answer, String source) {
        Set<String> sourceWords = new HashSet<>(words(source));
        List<String> answerWords = words(answer);
        if (answerWords.isEmpty()) {
            return 1;
        }
        long found = answerWords.stream().filter(sourceWords::contains).count();
        return (double) found / answerWords.size();
    }

    private static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        for (String w : normalize(text).split(" ")) {
            if (w.length() >= 3) {
                out.add(w);
            }
        }
        return out;
    }

    static String normalize(String text) {
        return Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]+", " ")
                .strip();
    }

    private static Set<String> shingles(String text) {
        Set<String> out = new HashSet<>();
        for (int i = 0; i + 5 <= text.length(); i++) {
            out.add(text.substring(i, i + 5));
        }
        if (out.isEmpty()) {
            out.add(text);
        }
        return out;
    }

    private static double jaccard(Set<String> a, Set<String> b) {
        int common = 0;
        for (String s : a) {
            if (b.contains(s)) {
                common++;
            }
        }
        return (double) common / (a.size() + b.size() - common);
    }
}
