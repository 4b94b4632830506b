package dev.livetune.augment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A teacher that asks a language model, as in the paper: it is told to write question/answer pairs
 * as JSON lines ({@code {"q": ..., "a": ...}}), and whatever parses is returned with the text as its
 * source, so the quality filter drops answers that are not grounded in it. Probes stay the rules
 * teacher's: held-out questions expecting a value that is verbatim in the text are what the eval
 * gate can check, and a model's own questions may not be answerable.
 */
public abstract class PromptedTeacher implements Teacher {

    private static final String FORMAT = " Write each pair on its own line as a JSON object {\"q\": \"...\", \"a\": \"...\"}"
            + " and nothing else: no numbering, no commentary.";

    private final RulesTeacher rules = new RulesTeacher();
    private final ObjectMapper json = new ObjectMapper();

    /**
     * @param system the instruction
     * @param user   the material
     * @return the model's reply
     */
    protected abstract String complete(String system, String user) throws IOException, InterruptedException;

    @Override
    public List<QA> selfInstruct(String statements, List<String> context, int perFact) throws IOException, InterruptedException {
        int n = perFact * Math.max(1, RulesTeacher.sentences(statements).size());
        String system = "You write training data for a chat assistant that must learn what a user told it. Write " + n
                + " question/answer pairs: diverse questions a user could later ask (different wordings, directions"
                + " and levels of detail) and answers that state the fact, preference or skill exactly as the user"
                + " gave it, sometimes paraphrased. Use only what the user said; the conversation is context for"
                + " resolving references." + FORMAT;
        StringBuilder user = new StringBuilder();
        if (!context.isEmpty()) {
            user.append("Conversation so far:\n").append(String.join("\n", context)).append("\n\n");
        }
        user.append("What the user taught:\n").append(statements);
        return pairs(complete(system, user.toString()), statements);
    }

    @Override
    public List<QA> backtranslate(String title, String chunk, int n) throws IOException, InterruptedException {
        String system = "You write training data for a chat assistant by instruction backtranslation: given a passage"
                + " of a document, write " + n + " requests or questions a user might have that the passage answers,"
                + " each with an answer taken from the passage (quote or closely paraphrase it; add nothing)." + FORMAT;
        String user = (title.isBlank() ? "" : "Section: " + title + "\n\n") + "Passage:\n" + chunk;
        return pairs(complete(system, user), chunk);
    }

    @Override
    public List<ProbeQuestion> probes(String text) {
        return rules.probes(text);
    }

    /** @return the pairs in a reply: JSON lines, a JSON array, or either inside a code fence */
    List<QA> pairs(String reply, String source) {
        List<QA> out = new ArrayList<>();
        String body = reply.replaceAll("(?m)^```[a-zA-Z]*\\s*$", "").strip();
        if (body.startsWith("[")) {
            try {
                for (JsonNode pair : json.readTree(body)) {
                    add(pair, source, out);
                }
                return out;
            } catch (IOException e) {
                // not one array after all: try it line by line
            }
        }
        for (String line : body.split("\n")) {
            String l = line.strip().replaceAll(",$", "");
            if (l.startsWith("{")) {
                try {
                    add(json.readTree(l), source, out);
                } catch (IOException e) {
                    // a broken line costs that pair only
                }
            }
        }
        return out;
    }

    private static void add(JsonNode pair, String source, List<QA> out) {
        String q = pair.path("q").asText(pair.path("question").asText("")).strip();
        String a = pair.path("a").asText(pair.path("answer").asText("")).strip();
        if (!q.isEmpty() && !a.isEmpty()) {
            out.add(new QA(q, a, source));
        }
    }
}
