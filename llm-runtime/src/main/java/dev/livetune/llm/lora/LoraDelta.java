package dev.livetune.llm.lora;

import ai.djl.ndarray.NDArray;
import dev.livetune.llm.model.ProjectionGroup;

/** The LoRA update a forward pass adds to each fused projection group. */
public interface LoraDelta {

    /** No update anywhere. */
    LoraDelta NONE = (x, layer, group) -> null;

    /**
     * @param x     the group's input, {@code [batch, seq, in]}
     * @param layer decoder layer
     * @param group projection group
     * @return the update {@code [batch, seq, groupOut]} to add to the group's fused output, or null
     *         when nothing changes this group
     */
    NDArray delta(NDArray x, int layer, ProjectionGroup group);
}
