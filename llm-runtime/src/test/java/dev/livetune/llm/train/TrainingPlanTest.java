package dev.livetune.llm.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@code group_by_length}: the same samples, each once per epoch, with far less padding. */
class TrainingPlanTest {

    /** Short question/answer samples mixed with ones twice as long, as a learn job's dataset is. */
    private static List<TokenizedSample> mixedLengths() {
        SplittableRandom random = new SplittableRandom(11);
        List<TokenizedSample> out = new ArrayList<>();
        for (int i = 0; i < 70; i++) {
            int n = random.nextInt(4) == 0 ? 200 + random.nextInt(60) : 40 + random.nextInt(100);
            out.add(new TokenizedSample(new int[n], new boolean[n], "s" + i));
        }
        return out;
    }

    private static HyperParameters hyper(boolean grouped) {
        return HyperParameters.of(Map.of("max_steps", 90, "per_device_train_batch_size", 8, "group_by_length", grouped));
    }

    /** @return tokens a plan computes (every row padded to its micro-batch's longest) over tokens it trains on */
    private static double paddingFactor(TrainingPlan plan, List<TokenizedSample> samples) {
        long padded = 0;
        long real = 0;
        for (List<List<int[]>> step : plan.steps()) {
            for (List<int[]> batch : step) {
                int longest = 0;
                for (int[] seq : batch) {
                    int len = Arrays.stream(seq).map(i -> samples.get(i).ids().length).sum();
                    longest = Math.max(longest, len);
                    real += len;
                }
                padded += (long) longest * batch.size();
            }
        }
        return (double) padded / real;
    }

    @Test
    void groupingByLengthSeesEverySampleOncePerEpochWithLittlePadding() {
        List<TokenizedSample> samples = mixedLengths();
        TrainingPlan grouped = TrainingPlan.of(samples, hyper(true));
        TrainingPlan shuffled = TrainingPlan.of(samples, hyper(false));

        assertThat(grouped.totalSteps()).isEqualTo(90);
        // 70 samples in batches of 8: 9 steps an epoch; every full epoch holds each sample exactly once
        for (int epoch = 0; epoch < 90 / 9; epoch++) {
            List<Integer> seen = new ArrayList<>();
            for (List<List<int[]>> step : grouped.steps().subList(epoch * 9, epoch * 9 + 9)) {
                step.forEach(batch -> batch.forEach(seq -> Arrays.stream(seq).forEach(seen::add)));
            }
            assertThat(seen).as("epoch %d", epoch).hasSize(70).doesNotHaveDuplicates();
        }
        double before = paddingFactor(shuffled, samples);
        double after = paddingFactor(grouped, samples);
        assertThat(before).as("the shuffled plan pads").isGreaterThan(1.3);
        assertThat(after).as("grouped by length (shuffled: %.2f)", before).isLessThan(1.1);
    }

    @Test
    void groupedPlansDependOnTheSeedAloneAndStillMixTheOrderOfSteps() {
        List<TokenizedSample> samples = mixedLengths();
        TrainingPlan a = TrainingPlan.of(samples, hyper(true));
        TrainingPlan b = TrainingPlan.of(samples, hyper(true));
        assertThat(describe(a)).isEqualTo(describe(b));
        TrainingPlan other = TrainingPlan.of(samples, HyperParameters.of(
                Map.of("max_steps", 90, "per_device_train_batch_size", 8, "group_by_length", true, "seed", 7)));
        assertThat(describe(other)).isNotEqualTo(describe(a));
        // not longest-first within an epoch: the sorted batches are shuffled
        List<Integer> longest = new ArrayList<>();
        for (List<List<int[]>> step : a.steps().subList(0, 9)) {
            longest.add(step.get(0).stream().mapToInt(seq -> samples.get(seq[0]).ids().length).max().orElseThrow());
        }
        List<Integer> descending = new ArrayList<>(longest);
        descending.sort(java.util.Comparator.reverseOrder());
        assertThat(longest).isNotEqualTo(descending);
    }

    private static String describe(TrainingPlan plan) {
        StringBuilder s = new StringBuilder();
        plan.steps().forEach(step -> step.forEach(batch -> batch.forEach(seq -> s.append(Arrays.toString(seq)))));
        return s.toString();
    }
}
