package dev.livetune.llm.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplerTest {

    private static Sampler sampler(SamplingParams p, int[] prompt, long seed) {
        return new Sampler(p, new SplittableRandom(seed), 4, prompt);
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOfSeenTokens() {
        float[] logits = {2.0f, -1.0f, 0.5f, -3f};
        SamplingParams none = SamplingParams.greedy(1);
        assertThat(sampler(none, new int[] {0, 1}, 1).next(logits, 0)).isEqualTo(0);
        // penalty 5: token 0 becomes 0.4 (< 0.5), token 1 becomes -5: the unseen token 2 wins.
        SamplingParams strong = SamplingParams.builder().setMaxNewTokens(1).optRepetitionPenalty(5).build();
        assertThat(sampler(strong, new int[] {0, 1}, 1).next(logits, 0)).isEqualTo(2);
        // Generated tokens count too.
        Sampler s = sampler(strong, new int[] {1}, 1);
        s.accept(0);
        assertThat(s.next(logits, 0)).isEqualTo(2);
        assertThat(logits).containsExactly(2.0f, -1.0f, 0.5f, -3f);
    }

    @Test
    void topPKeepsTheSmallestSetReachingTheMass() {
        // softmax ≈ [0.5, 0.3, 0.2, ~0]
        float[] logits = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.2), -100f};
        SamplingParams half = SamplingParams.builder().setMaxNewTokens(1).optTemperature(1).optTopP(0.5).build();
        SamplingParams most = SamplingParams.builder().setMaxNewTokens(1).optTemperature(1).optTopP(0.75).build();
        Sampler onlyTop = sampler(half, new int[] {3}, 3);
        Sampler two = sampler(most, new int[] {3}, 3);
        int[] counts = new int[4];
        for (int i = 0; i < 2000; i++) {
            assertThat(onlyTop.next(logits, 0)).isEqualTo(0);
            counts[two.next(logits, 0)]++;
        }
        assertThat(counts[2]).isZero();
        assertThat(counts[3]).isZero();
        // 0.5 / 0.8 of the draws, give or take sampling noise.
        assertThat(counts[0] / 2000.0).isBetween(0.57, 0.68);
    }

    @Test
    void topKOneIsGreedyAndTemperatureFlattens() {
        float[] logits = {0.1f, 0.3f, 0.2f, 0.0f};
        SamplingParams k1 = SamplingParams.builder().setMaxNewTokens(1).optTemperature(5).optTopK(1).build();
        Sampler s = sampler(k1, new int[] {0}, 9);
        for (int i = 0; i < 100; i++) {
            assertThat(s.next(logits, 0)).isEqualTo(1);
        }
        SamplingParams hot = SamplingParams.builder().setMaxNewTokens(1).optTemperature(100).build();
        Sampler h = sampler(hot, new int[] {0}, 9);
        int[] counts = new int[4];
        for (int i = 0; i < 4000; i++) {
            counts[h.next(logits, 0)]++;
        }
        for (int c : counts) {
            assertThat(c).isBetween(850, 1150);
        }
    }

    @Test
    void topIndicesAreTheLargestInOrder() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        float[] x = new float[5000];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        x[17] = x[4000]; // a tie: the lower id ranks first
        Integer[] all = new Integer[x.length];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        java.util.Arrays.sort(all, (a, b) -> x[a] != x[b] ? Float.compare(x[b], x[a]) : Integer.compare(a, b));
        for (int k : new int[] {1, 7, 64, 5000}) {
            int[] top = Sampler.topIndices(x, k);
            assertThat(top).hasSize(k);
            for (int i = 0; i < k; i++) {
                assertThat(top[i]).isEqualTo(all[i]);
            }
        }
    }

    @Test
    void topPOverALargeFlatVocabularyWidensTheCandidateSetUntilTheMassIsReached() {
        // 1000 equal logits: top_p 0.5 must keep 500 candidates, far more than the first heap of 64.
        float[] flat = new float[1000];
        SamplingParams p = SamplingParams.builder().setMaxNewTokens(1).optTemperature(1).optTopP(0.5).build();
        Sampler s = new Sampler(p, new SplittableRandom(4), flat.length, new int[] {0});
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int i = 0; i < 5000; i++) {
            int id = s.next(flat, 0);
            assertThat(id).isLessThan(500);
            seen.add(id);
        }
        assertThat(seen.size()).isGreaterThan(450);
    }

    @Test
    void sameSeedSameDraws() {
        float[] logits = {0.1f, 0.3f, 0.2f, 0.0f};
        SamplingParams p = SamplingParams.builder().setMaxNewTokens(1).optTemperature(1).build();
        Sampler a = sampler(p, new int[] {0}, 42);
        Sampler b = sampler(p, new int[] {0}, 42);
        for (int i = 0; i < 50; i++) {
            assertThat(a.next(logits, 0)).isEqualTo(b.next(logits, 0));
        }
    }

    @Test
    void parametersOutOfRangeAreRefusedByName() {
        assertThatThrownBy(() -> SamplingParams.builder().build()).hasMessageContaining("maxNewTokens");
        assertThatThrownBy(() -> SamplingParams.builder().setMaxNewTokens(1).optTopP(0).build())
                .hasMessageContaining("topP");
        assertThatThrownBy(() -> SamplingParams.builder().setMaxNewTokens(1).optTemperature(-1).build())
                .hasMessageContaining("temperature");
        assertThatThrownBy(() -> SamplingParams.builder().setMaxNewTokens(1).optTopK(-2).build())
                .hasMessageContaining("topK");
        assertThatThrownBy(() -> SamplingParams.builder().setMaxNewTokens(1).optRepetitionPenalty(0).build())
                .hasMessageContaining("repetitionPenalty");
    }
}
