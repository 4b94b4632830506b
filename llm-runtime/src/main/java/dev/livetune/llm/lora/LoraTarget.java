package dev.livetune.llm.lora;

/**
 * One projection that an adapter changes.
 *
 * @param layer  decoder layer index
 * @param module projection name ({@code q_proj}, ..., {@code down_proj})
 */
public record LoraTarget(int layer, String module) {

    /** @return the module path PEFT matches {@code target_modules} against */
    public String modulePath() {
        String block = switch (module) {
            case "gate_proj", "up_proj", "down_proj" -> "mlp";
            default -> "self_attn";
        };
        return "model.layers." + layer + "." + block + "." + module;
    }
}
