package dev.livetune.llm.generate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livetune.llm.Fixtures;
import dev.livetune.llm.TestRuntime;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.lora.LoraAdapter;
import dev.livetune.llm.model.DecoderModel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Sequences that join a running batch at later steps, with and without an adapter, and leave it at
 * different steps, produce exactly the tokens they produce alone; a cancelled one leaves at the next
 * step without disturbing the others.
 */
class ContinuousBatchTest {

    private static final TorchRuntime runtime = TestRuntime.shared();

    static List<String> models() {
        return Fixtures.MODELS;
    }

    @ParameterizedTest
    @MethodSource("models")
    void joiningAndLeavingNeverChangesWhatASequenceGenerates(String model) {
        try (DecoderModel m = DecoderModel.load(Fixtures.dir(model), runtime.manager(), runtime.json());
                LoraAdapter adapter = LoraAdapter.load(Fixtures.adapter(model), "a", m.config(), m.manager(),
                        runtime.json())) {
            List<Fixtures.Case> cases = Fixtures.cases(model, false);
            List<GenerationRequest> requests = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int[] prompt = cases.get(i % cases.size()).inputIds();
                SamplingParams p = SamplingParams.builder().setMaxNewTokens(5 + 2 * i).optIgnoreEos(true).build();
                requests.add(GenerationRequest.of(prompt, i % 2 == 0 ? adapter : null, p));
            }
            Generator solo = new Generator(m, () -> TextStream.NONE, new SplittableRandom(1));
            List<int[]> expected = new ArrayList<>();
            for (GenerationRequest r : requests) {
                expected.add(solo.generate(List.of(r)).get(0).newIds());
            }

            List<ContinuousBatch.Handle> handles = new ArrayList<>();
            try (ContinuousBatch batch = new ContinuousBatch(m, () -> TextStream.NONE, new SplittableRandom(1))) {
                handles.addAll(batch.admit(requests.subList(0, 1)));
                batch.step();
                batch.step();
                handles.addAll(batch.admit(requests.subList(1, 3)));
                batch.step();
                handles.addAll(batch.admit(requests.subList(3, 4)));
                for (int s = 0; s < 4; s++) {
                    batch.step();
                }
                handles.addAll(batch.admit(requests.subList(4, 6)));
                while (!batch.isEmpty()) {
                    batch.step();
                }
            }
            for (int i = 0; i < requests.size(); i++) {
                assertThat(handles.get(i).finished()).isTrue();
                assertThat(handles.get(i).result().newIds()).as("%s request %d", model, i).containsExactly(expected.get(i));
                assertThat(handles.get(i).result().finishReason()).isEqualTo(FinishReason.LENGTH);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void aCancelledSequenceLeavesAtTheNextStep(String model) {
        try (DecoderModel m = DecoderModel.load(Fixtures.dir(model), runtime.manager(), runtime.json())) {
            int[] prompt = Fixtures.cases(model, false).get(0).inputIds();
            SamplingParams p = SamplingParams.builder().setMaxNewTokens(10).optIgnoreEos(true).build();
            AtomicBoolean cancel = new AtomicBoolean();
            GenerationRequest cancelled = new GenerationRequest(prompt, null, p, null, cancel::get);
            GenerationRequest kept = GenerationRequest.of(prompt, null, p);
            int[] alone = new Generator(m, () -> TextStream.NONE, new SplittableRandom(1)).generate(List.of(kept))
                    .get(0).newIds();
            try (ContinuousBatch batch = new ContinuousBatch(m, () -> TextStream.NONE, new SplittableRandom(1))) {
                List<ContinuousBatch.Handle> h = batch.admit(List.of(cancelled, kept));
                batch.step();
                cancel.set(true);
                batch.step();
                assertThat(batch.size()).isEqualTo(1);
                assertThat(h.get(0).result().finishReason()).isEqualTo(FinishReason.CANCELLED);
                assertThat(h.get(0).result().newIds()).hasSize(2);
                while (!batch.isEmpty()) {
                    batch.step();
                }
                assertThat(h.get(1).result().newIds()).containsExactly(alone);
            }
        }
    }
}
