package dev.livetune.llm.generate;

import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * How one request picks its next tokens and when it stops. Build with {@link #builder()}.
 *
 * @param temperature       divides the logits; {@code 0} means greedy (argmax)
 * @param topK              keep the {@code k} most likely tokens; {@code 0} keeps all
 * @param topP              keep the smallest set whose probability reaches {@code p}; {@code 1} keeps all
 * @param repetitionPenalty Hugging Face's penalty on tokens already in prompt or output; {@code 1} is none
 * @param seed              seed of the request's random source, for reproducible sampling
 * @param maxNewTokens      most tokens to generate
 * @param stopTokenIds      ids that end generation (added to the model's eos ids); not part of the text
 * @param stopStrings       strings that end generation; the text is cut before the first one
 * @param ignoreEos         keep generating through the model's eos ids
 */
public record SamplingParams(
        double temperature,
        int topK,
        double topP,
        double repetitionPenalty,
        OptionalLong seed,
        int maxNewTokens,
        Set<Integer> stopTokenIds,
        List<String> stopStrings,
        boolean ignoreEos) {

    public SamplingParams {
        stopTokenIds = Set.copyOf(stopTokenIds);
        stopStrings = List.copyOf(stopStrings);
    }

    /** @return greedy decoding of at most {@code maxNewTokens} */
    public static SamplingParams greedy(int maxNewTokens) {
        return builder().setMaxNewTokens(maxNewTokens).build();
    }

    /** @return whether decoding is argmax */
    public boolean isGreedy() {
        return temperature == 0;
    }

    /** @return a builder with greedy defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** Builder: {@code setMaxNewTokens} is required, the rest optional; checked in {@link #build()}. */
    public static final class Builder {
        private double temperature;
        private int topK;
        private double topP = 1.0;
        private double repetitionPenalty = 1.0;
        private OptionalLong seed = OptionalLong.empty();
        private int maxNewTokens = -1;
        private Set<Integer> stopTokenIds = Set.of();
        private List<String> stopStrings = List.of();
        private boolean ignoreEos;

        public Builder setMaxNewTokens(int maxNewTokens) {
            this.maxNewTokens = maxNewTokens;
            return this;
        }

        public Builder optTemperature(double temperature) {
            this.temperature = temperature;
            return this;
        }

        public Builder optTopK(int topK) {
            this.topK = topK;
            return this;
        }

        public Builder optTopP(double topP) {
            this.topP = topP;
            return this;
        }

        public Builder optRepetitionPenalty(double repetitionPenalty) {
            this.repetitionPenalty = repetitionPenalty;
            return this;
        }

        public Builder optSeed(long seed) {
            this.seed = OptionalLong.of(seed);
            return this;
        }

        public Builder optStopTokenIds(Set<Integer> ids) {
            this.stopTokenIds = ids;
            return this;
        }

        public Builder optStopStrings(List<String> stops) {
            this.stopStrings = stops;
            return this;
        }

        public Builder optIgnoreEos(boolean ignoreEos) {
            this.ignoreEos = ignoreEos;
            return this;
        }

        /** @throws IllegalArgumentException naming the parameter that is out of range */
        public SamplingParams build() {
            check(maxNewTokens >= 1, "maxNewTokens must be at least 1, got " + maxNewTokens);
            check(temperature >= 0 && Double.isFinite(temperature), "temperature must be >= 0, got " + temperature);
            check(topK >= 0, "topK must be >= 0, got " + topK);
            check(topP > 0 && topP <= 1, "topP must be in (0, 1], got " + topP);
            check(repetitionPenalty > 0 && Double.isFinite(repetitionPenalty),
                    "repetitionPenalty must be > 0, got " + repetitionPenalty);
            check(stopStrings.stream().noneMatch(String::isEmpty), "stop strings must not be empty");
            return new SamplingParams(temperature, topK, topP, repetitionPenalty, seed, maxNewTokens,
                    stopTokenIds, stopStrings, ignoreEos);
        }

        private static void check(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException(message);
            }
        }
    }
}
