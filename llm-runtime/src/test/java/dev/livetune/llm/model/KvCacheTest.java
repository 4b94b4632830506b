package dev.livetune.llm.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livetune.llm.Fixtures;
import dev.livetune.llm.TestRuntime;
import dev.livetune.llm.lora.LoraAdapter;
import dev.livetune.llm.lora.LoraBatch;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Token-by-token decoding through a cache that keeps growing computes what one full pass computes. */
class KvCacheTest {

    @Test
    void decodingOneTokenAtATimeThroughAGrowingCacheMatchesAFullPass() {
        int[] ids = Fixtures.cases("qwen3-qknorm", false).get(1).inputIds();
        try (DecoderModel m = DecoderModel.load(Fixtures.dir("qwen3-qknorm"), TestRuntime.shared().manager(),
                        TestRuntime.shared().json());
                LoraAdapter a = LoraAdapter.load(Fixtures.adapter("qwen3-qknorm"), "a", m.config(), m.manager(),
                        TestRuntime.shared().json());
                LoraBatch lora = LoraBatch.of(Arrays.asList(a, null), m.config(), m.manager())) {
            Logits full;
            try (KvCache cache = m.newCache(2, ids.length)) {
                full = m.prefill(cache, new int[][] {ids, ids}, lora, true);
            }
            try (KvCache cache = m.newCache(2, 1)) {
                // Three tokens first (capacity 1 grows), then one at a time (grows again, copying).
                Logits first = m.prefill(cache, new int[][] {Arrays.copyOf(ids, 3), Arrays.copyOf(ids, 3)}, lora, true);
                for (int b = 0; b < 2; b++) {
                    for (int p = 0; p < 3; p++) {
                        assertThat(first.row(b, p)).containsExactly(full.row(b, p), closeEnough());
                    }
                }
                for (int p = 3; p < ids.length; p++) {
                    Logits step = m.forward(cache, new int[][] {{ids[p]}, {ids[p]}}, lora, false);
                    for (int b = 0; b < 2; b++) {
                        assertThat(step.row(b, 0)).as("row %d position %d", b, p)
                                .containsExactly(full.row(b, p), closeEnough());
                    }
                }
                assertThat(cache.length()).isEqualTo(ids.length);
            }
            // The adapter row and the base row really differ: the comparison above is not vacuous.
            assertThat(full.row(0, 5)).isNotEqualTo(full.row(1, 5));
        }
    }

    /** Logits here are of order 1: 2e-5 absolute is float32 rounding, not a different computation. */
    private static org.assertj.core.data.Offset<Float> closeEnough() {
        return org.assertj.core.data.Offset.offset(2e-5f);
    }
}
