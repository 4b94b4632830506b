package dev.livetune.llm.model;

import java.util.List;

/**
 * Projections that read the same input and therefore run as one fused matmul: q/k/v, o,
 * gate/up, down. LoRA updates are fused the same way, so a layer costs four LoRA matmul pairs
 * whatever the adapter targets.
 */
public enum ProjectionGroup {
    /** {@code q_proj}, {@code k_proj}, {@code v_proj}: input hidden, outputs stacked in that order. */
    QKV(List.of("q_proj", "k_proj", "v_proj")),
    /** {@code o_proj}: input the attention context. */
    O(List.of("o_proj")),
    /** {@code gate_proj}, {@code up_proj}: input hidden, outputs stacked in that order. */
    GATE_UP(List.of("gate_proj", "up_proj")),
    /** {@code down_proj}: input the MLP activation. */
    DOWN(List.of("down_proj"));

    private final List<String> modules;

    ProjectionGroup(List<String> modules) {
        this.modules = modules;
    }

    /** @return the Hugging Face module names in output order */
    public List<String> modules() {
        return modules;
    }

    /** @return the group a projection belongs to */
    public static ProjectionGroup of(String module) {
        for (ProjectionGroup g : values()) {
            if (g.modules.contains(module)) {
                return g;
            }
        }
        throw new IllegalArgumentException("not a projection: " + module);
    }

    /** @return input width of the group */
    public int inFeatures(ModelConfig c) {
        return c.inFeatures(modules.get(0));
    }

    /** @return total output width of the group */
    public int outFeatures(ModelConfig c) {
        return modules.stream().mapToInt(c::outFeatures).sum();
    }

    /** @return where a module's outputs start inside the group's fused output */
    public int offset(String module, ModelConfig c) {
        int off = 0;
        for (String m : modules) {
            if (m.equals(module)) {
                return off;
            }
            off += c.outFeatures(m);
        }
        throw new IllegalArgumentException(module + " is not in " + this);
    }
}
