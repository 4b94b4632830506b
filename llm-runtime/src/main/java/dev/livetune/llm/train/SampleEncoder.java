package dev.livetune.llm.train;

import dev.livetune.llm.tokenizer.ChatMessage;
import dev.livetune.llm.tokenizer.ChatTemplate;
import dev.livetune.llm.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns chat samples into token ids with a loss mask covering the assistant's turns only.
 *
 * <p>The conversation is rendered with the model's chat template one turn at a time: the text an
 * assistant turn adds after the prompt that asks for it ({@code render(turns[..i], true)} grows into
 * {@code render(turns[..i+1], false)}) is the assistant's, including the end-of-turn markup, so the
 * model also learns to stop. Each piece is tokenized on its own, exactly as inference tokenizes a
 * prompt and then appends the tokens it generates. A template whose renderings do not grow that way
 * (some rewrite earlier turns) trains the last assistant turn only, after its full prompt.
 * Sequences longer than {@code maxLength} are cut at the end.
 */
public final class SampleEncoder {

    private final TextTokenizer tokenizer;
    private final ChatTemplate template;
    private final int maxLength;

    public SampleEncoder(TextTokenizer tokenizer, ChatTemplate template, int maxLength) {
        this.tokenizer = tokenizer;
        this.template = template;
        this.maxLength = maxLength;
    }

    /**
     * @param source names the sample in errors ({@code train.jsonl line 3})
     * @throws InvalidTrainingInputException when the template refuses the conversation, or when
     *                                       nothing trainable is left within {@code maxLength}
     */
    public TokenizedSample encode(List<ChatMessage> messages, String source) {
        return encode(messages, List.of(), source);
    }

    /**
     * @param tools the functions the conversation may call, rendered by the template as at inference
     * @see #encode(List, String)
     */
    public TokenizedSample encode(List<ChatMessage> messages, List<Map<String, Object>> tools, String source) {
        Map<String, Object> variables = tools.isEmpty() ? Map.of() : Map.of("tools", tools);
        List<int[]> pieces = new ArrayList<>();
        List<Boolean> trained = new ArrayList<>();
        try {
            if (!growingPieces(messages, variables, pieces, trained)) {
                pieces.clear();
                trained.clear();
                int last = messages.size() - 1;
                while (!messages.get(last).role().equals("assistant")) {
                    last--;
                }
                String prompt = template.render(messages.subList(0, last), true, variables);
                String full = template.render(messages.subList(0, last + 1), false, variables);
                if (!full.startsWith(prompt)) {
                    throw new InvalidTrainingInputException(source + ": the chat template renders the assistant turn"
                            + " in a way that does not extend its prompt, so its tokens cannot be told apart");
                }
                pieces.add(tokenizer.encode(prompt, false));
                trained.add(false);
                pieces.add(tokenizer.encode(full.substring(prompt.length()), false));
                trained.add(true);
            }
        } catch (RuntimeException e) {
            if (e instanceof InvalidTrainingInputException) {
                throw e;
            }
            throw new InvalidTrainingInputException(source + ": " + e.getMessage(), e);
        }
        int total = pieces.stream().mapToInt(p -> p.length).sum();
        int n = Math.min(total, maxLength);
        int[] ids = new int[n];
        boolean[] mask = new boolean[n];
        int at = 0;
        for (int i = 0; i < pieces.size() && at < n; i++) {
            int[] p = pieces.get(i);
            int take = Math.min(p.length, n - at);
            System.arraycopy(p, 0, ids, at, take);
            java.util.Arrays.fill(mask, at, at + take, trained.get(i));
            at += take;
        }
        mask[0] = false;
        TokenizedSample sample = new TokenizedSample(ids, mask, source);
        if (sample.trainedTokens() == 0) {
            throw new InvalidTrainingInputException(source + ": no assistant token within max_length " + maxLength
                    + " (the prompt alone takes " + (total - trainedCount(pieces, trained)) + " tokens)");
        }
        return sample;
    }

    private static int trainedCount(List<int[]> pieces, List<Boolean> trained) {
        int n = 0;
        for (int i = 0; i < pieces.size(); i++) {
            n += trained.get(i) ? pieces.get(i).length : 0;
        }
        return n;
    }

    /** Splits the rendering into pieces at every assistant turn; false when the renderings do not grow. */
    private boolean growingPieces(List<ChatMessage> messages, Map<String, Object> variables, List<int[]> pieces,
            List<Boolean> trained) {
        String done = "";
        for (int i = 0; i < messages.size(); i++) {
            if (!messages.get(i).role().equals("assistant")) {
                continue;
            }
            String prompt = template.render(messages.subList(0, i), true, variables);
            String full = template.render(messages.subList(0, i + 1), false, variables);
            if (!prompt.startsWith(done) || !full.startsWith(prompt)) {
                return false;
            }
            if (prompt.length() > done.length()) {
                pieces.add(tokenizer.encode(prompt.substring(done.length()), false));
                trained.add(false);
            }
            pieces.add(tokenizer.encode(full.substring(prompt.length()), false));
            trained.add(true);
            done = full;
        }
        return true;
    }
}
