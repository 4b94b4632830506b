package dev.livetune.llm.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.llm.Fixtures;
import dev.livetune.llm.TestRuntime;
import dev.livetune.llm.model.DecoderModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A micro-batch of short and long samples is computed as several passes, each padded only to its own
 * longest row ({@link TrainingPlan#passes}): the same samples, less padding, and the same loss and
 * gradients as one pass over all of them.
 */
class PassesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static TokenizedSample sample(int length) {
        return new TokenizedSample(new int[length], new boolean[length], "length " + length);
    }

    private static List<TokenizedSample> samples(int... lengths) {
        return Arrays.stream(lengths).mapToObj(PassesTest::sample).toList();
    }

    private static List<int[]> rows(int n) {
        List<int[]> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(new int[] {i});
        }
        return rows;
    }

    private static List<Integer> lengths(List<int[]> pass, List<TokenizedSample> samples) {
        return pass.stream().map(seq -> samples.get(seq[0]).ids().length).toList();
    }

    @Test
    void oneTurnSamplesAreNoLongerPaddedToTwoTurnOnes() {
        // a learn job's micro-batch: one-turn samples and ones with a general exchange before, mixed
        List<TokenizedSample> samples = samples(180, 70, 75, 190, 68, 185, 72, 178);
        List<List<int[]>> passes = TrainingPlan.passes(rows(8), samples);

        assertThat(passes).hasSize(2);
        assertThat(lengths(passes.get(0), samples)).containsExactly(68, 70, 72, 75);
        assertThat(lengths(passes.get(1), samples)).containsExactly(178, 180, 185, 190);
        // padded tokens: 4·75 + 4·190 = 1060 instead of 8·190 = 1520
    }

    @Test
    void aBatchOfSimilarLengthsStaysOnePass() {
        List<TokenizedSample> samples = samples(120, 130, 125, 140, 135, 128, 122, 131);
        List<List<int[]>> passes = TrainingPlan.passes(rows(8), samples);
        assertThat(passes).hasSize(1);
        assertThat(passes.get(0)).hasSize(8);
        // a single row, or none left over: every sequence is in exactly one pass
        assertThat(TrainingPlan.passes(rows(1), samples)).hasSize(1);
        List<Integer> all = new ArrayList<>();
        TrainingPlan.passes(rows(8), samples(180, 70, 75, 190, 68, 185, 72, 178))
                .forEach(p -> p.forEach(seq -> all.add(seq[0])));
        assertThat(all).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7);
    }

    @Test
    void passesGiveTheLossAndGradientsOfOnePass() throws Exception {
        List<TokenizedSample> fixture = PeftParityTest.batch(PeftParityTest.reference("llama-gqa"));
        // the fixture's token ids repeated into rows of 200 tokens and of 30, mixed, answers in their second half
        List<TokenizedSample> rows = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int[] source = fixture.get(i % fixture.size()).ids();
            int n = i % 2 == 0 ? 200 : 30 + i;
            int[] ids = new int[n];
            for (int t = 0; t < n; t++) {
                ids[t] = source[t % source.length];
            }
            boolean[] trained = new boolean[n];
            Arrays.fill(trained, n / 2, n, true);
            rows.add(new TokenizedSample(ids, trained, "row " + i));
        }
        assertThat(TrainingPlan.passes(rows(rows.size()), rows)).as("the batch is split").hasSizeGreaterThan(1);
        try (DecoderModel model = DecoderModel.load(Fixtures.dir("llama-gqa"), TestRuntime.shared().manager(), JSON);
                TrainableLora lora = TrainableLora.load(Fixtures.adapter("llama-gqa"), model, 0.0, JSON)) {
            lora.setTraining(true);
            SftTrainer trainer = new SftTrainer(model, HyperParameters.of(Map.of("max_grad_norm", 0.0)), lora, p -> { });
            SftTrainer.zeroGradients(lora.parameters());
            double whole = trainer.accumulateGradients(rows, false);
            Map<String, float[]> one = GradientsUnderGcTest.gradients(lora);
            SftTrainer.zeroGradients(lora.parameters());
            double split = trainer.accumulateGradients(rows, true);
            Map<String, float[]> passes = GradientsUnderGcTest.gradients(lora);

            assertThat(split).isCloseTo(whole, within(1e-5 * Math.abs(whole)));
            for (Map.Entry<String, float[]> e : one.entrySet()) {
                float[] a = e.getValue();
                float[] b = passes.get(e.getKey());
                float scale = 0;
                for (float v : a) {
                    scale = Math.max(scale, Math.abs(v));
                }
                assertThat(scale).as(e.getKey() + " has a gradient").isGreaterThan(0f);
                for (int i = 0; i < a.length; i++) {
                    assertThat(b[i]).as(e.getKey() + "[" + i + "]").isCloseTo(a[i], within(1e-5f * scale));
                }
            }
        }
    }
}
