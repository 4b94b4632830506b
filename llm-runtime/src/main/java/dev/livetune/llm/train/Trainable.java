package dev.livetune.llm.train;

import dev.livetune.llm.lora.LoraDelta;
import dev.livetune.llm.model.ModelWeights;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** What a training run updates: a LoRA adapter over frozen weights, or every weight of a small model. */
public interface Trainable extends AutoCloseable {

    /** @return the tensors the optimizer updates, under the names they are saved with */
    List<Parameter> parameters();

    /** @return the weights for the next forward pass; call inside the pass's scope (they may be derived) */
    ModelWeights weights();

    /** @return the LoRA update for the next forward pass ({@link LoraDelta#NONE} for none) */
    LoraDelta lora();

    /** Dropout on while training, off for evaluation. */
    void setTraining(boolean training);

    /**
     * Writes the result in its Hugging Face form (a PEFT adapter, or a whole model directory).
     *
     * @param dir     target directory
     * @param baseDir the base model directory (recorded, and the source of tokenizer files to copy)
     */
    void save(Path dir, Path baseDir) throws IOException;

    @Override
    void close();
}
