package dev.livetune.llm.perf;

import dev.livetune.llm.LanguageModel;
import dev.livetune.llm.generate.GenerationRequest;
import dev.livetune.llm.generate.TokenListener;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Times one batched generation: prefill is the time to the first token of the batch, decode the
 * time from there to the last token.
 *
 * @param prefillMillis          prompt processing and first token, in ms
 * @param decodeSteps            decode steps after the first token
 * @param decodeNanos            time of those steps
 * @param decodeTokens           tokens they produced, over all rows
 */
public record DecodeTimer(double prefillMillis, int decodeSteps, long decodeNanos, long decodeTokens) {

    public static DecodeTimer run(LanguageModel lm, List<GenerationRequest> requests) {
        long[] first = {0};
        long[] last = {0};
        long[] tokens = {0};
        TokenListener listener = (id, text) -> {
            long now = System.nanoTime();
            if (first[0] == 0) {
                first[0] = now;
            } else {
                tokens[0]++;
            }
            last[0] = now;
        };
        List<GenerationRequest> timed = new ArrayList<>();
        for (GenerationRequest r : requests) {
            timed.add(new GenerationRequest(r.promptIds(), r.adapter(), r.sampling(), listener, null));
        }
        long start = System.nanoTime();
        lm.generator(new SplittableRandom(1)).generate(timed);
        int steps = requests.stream().mapToInt(r -> r.sampling().maxNewTokens()).max().orElse(1) - 1;
        // Tokens of the first step belong to prefill: count rows' first tokens out.
        long decodeTokens = tokens[0] - (requests.size() - 1);
        return new DecodeTimer((first[0] - start) / 1e6, steps, last[0] - first[0], decodeTokens);
    }

    public double decodeTokensPerSecond() {
        return decodeTokens / (decodeNanos / 1e9);
    }

    public double millisPerStep() {
        return decodeNanos / 1e6 / decodeSteps;
    }
}
