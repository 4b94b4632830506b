package dev.livetune.llm.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.llm.Fixtures;
import dev.livetune.llm.TestRuntime;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.model.DecoderModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Gradients do not depend on when the garbage collector runs. DJL turns a Java number given to an
 * op into a scalar tensor over a direct buffer and closes it when the op returns; autograd keeps that
 * tensor for the backward pass, so a collection between forward and backward used to let the backward
 * read freed memory (every gradient scaled by garbage, now and then NaN: the trainer's intermittent
 * NaN). Here a thread collects and reclaims direct buffers without pause while the same batch's
 * gradients are computed again and again: each time they must be the same bits, and finite.
 */
class GradientsUnderGcTest {

    private static final TorchRuntime RUNTIME = TestRuntime.shared();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<TokenizedSample> batch(String model) throws IOException {
        return PeftParityTest.batch(PeftParityTest.reference(model));
    }

    private static Map<String, float[]> gradients(SftTrainer trainer, Trainable trainable, List<TokenizedSample> rows) {
        SftTrainer.zeroGradients(trainable.parameters());
        trainer.accumulateGradients(rows);
        return gradients(trainable);
    }

    /** @return every parameter's gradient, by name */
    static Map<String, float[]> gradients(Trainable trainable) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Parameter p : trainable.parameters()) {
            NDArray g = p.value().getGradient();
            out.put(p.name(), g.toFloatArray());
            g.close();
        }
        return out;
    }

    private static void sameGradientsWhileCollecting(DecoderModel model, Trainable trainable, List<TokenizedSample> rows)
            throws InterruptedException {
        SftTrainer trainer = new SftTrainer(model, HyperParameters.of(Map.of("max_grad_norm", 0.0)), trainable, p -> { });
        Map<String, float[]> reference = gradients(trainer, trainable, rows);
        AtomicBoolean stop = new AtomicBoolean();
        Thread collector = new Thread(() -> {
            while (!stop.get()) {
                ByteBuffer.allocateDirect(1 << 16);
                System.gc();
            }
        }, "gc-churn");
        collector.setDaemon(true);
        collector.start();
        try {
            for (int round = 0; round < 10; round++) {
                Map<String, float[]> again = gradients(trainer, trainable, rows);
                for (Map.Entry<String, float[]> e : again.entrySet()) {
                    String what = "round " + round + ", " + e.getKey();
                    for (float v : e.getValue()) {
                        assertThat(Float.isFinite(v)).as(what + ": finite").isTrue();
                    }
                    assertThat(e.getValue()).as(what).isEqualTo(reference.get(e.getKey()));
                }
            }
        } finally {
            stop.set(true);
            collector.join();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa", "qwen2-bias-tied"})
    void fullFineTuningGradientsAreTheSameWhateverTheCollectorDoes(String name) throws Exception {
        try (DecoderModel model = DecoderModel.load(Fixtures.dir(name), RUNTIME.manager(), JSON);
                FullModelParameters params = FullModelParameters.load(Fixtures.dir(name), model, JSON)) {
            params.setTraining(true);
            sameGradientsWhileCollecting(model, params, batch(name));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa", "qwen2-bias-tied"})
    void loraGradientsAreTheSameWhateverTheCollectorDoes(String name) throws Exception {
        try (DecoderModel model = DecoderModel.load(Fixtures.dir(name), RUNTIME.manager(), JSON);
                TrainableLora lora = TrainableLora.load(Fixtures.adapter(name), model, 0.0, JSON)) {
            lora.setTraining(true);
            sameGradientsWhileCollecting(model, lora, batch(name));
        }
    }
}
