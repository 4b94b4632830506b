package dev.livetune.orchestrator;

import dev.livetune.api.learn.LearnRequest;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Mode resolution for requests that left it to the orchestrator ({@code auto}; {@code [Learn:doc]}
 * and {@code [Learn:web]} arrive resolved):
 * <ul>
 *   <li>files attached: <b>doc</b>;</li>
 *   <li>a question, a request to look something up ("learn about …", "look up …", "research …"), or a
 *       bare topic (a few words with no verb): <b>web</b>;</li>
 *   <li>anything else states facts, preferences or skills: <b>instruction</b>.</li>
 * </ul>
 * A pure function of the request, so a resumed job resolves the same way.
 */
final class Modes {

    private static final Pattern LOOK_UP = Pattern.compile("(?i)^(?:please\\s+)?(?:(?:go\\s+and\\s+)?(?:learn|read|find\\s+out)"
            + "\\s+(?:all\\s+|everything\\s+|more\\s+)?about|look\\s+up|search(?:\\s+for)?|research|study|find|what\\s+is|what\\s+are"
            + "|who\\s+is|who\\s+was|how\\s+does|how\\s+do|why\\s+does|why\\s+is)\\b");
    /** Words that make a short text a statement rather than a topic. */
    private static final Set<String> STATEMENT_WORDS = Set.of("is", "are", "was", "were", "am", "be", "been", "has", "have",
            "had", "do", "does", "did", "will", "should", "must", "can", "always", "never", "i", "i'm", "my", "me", "we",
            "our", "you", "your", "prefer", "like", "use", "call", "means", "lives", "works");

    private Modes() {
    }

    /** @return the request with its mode resolved (itself when it was explicit) */
    static LearnRequest resolved(LearnRequest r) {
        String mode = resolve(r);
        return mode.equals(r.mode()) ? r : r.withMode(mode);
    }

    static String resolve(LearnRequest r) {
        if (!"auto".equals(r.mode()) && r.mode() != null) {
            return r.mode();
        }
        if (!r.fileIds().isEmpty()) {
            return "doc";
        }
        String text = r.text() == null ? "" : r.text().strip();
        if (text.isEmpty()) {
            return "instruction";
        }
        if (text.endsWith("?") || LOOK_UP.matcher(text).find()) {
            return "web";
        }
        String[] words = text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}' ]+", " ").strip().split("\\s+");
        if (words.length <= 6 && !text.contains(".")) {
            for (String w : words) {
                if (STATEMENT_WORDS.contains(w) || w.endsWith("ed") || w.endsWith("'s")) {
                    return "instruction";
                }
            }
            return "web";
        }
        return "instruction";
    }

    static String describe(String mode) {
        return switch (mode) {
            case "instruction" -> "instruction-guided: self-instruct on the statements";
            case "doc" -> "document-driven: backtranslation of the files' chunks";
            case "web" -> "web search: search, fetch, extract, backtranslate";
            case Pipeline.SUPERVISED -> "supervised: the tenant's own conversations, as they are";
            default -> mode;
        };
    }
}
