package dev.livetune.llm.tokenizer;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The named special tokens of a tokenizer as written in {@code tokenizer_config.json}; chat templates
 * see them as the variables {@code bos_token}, {@code eos_token}, {@code pad_token} and {@code
 * unk_token}. Each field is null when the tokenizer does not define it.
 *
 * @param bosToken beginning-of-sequence token text, or null
 * @param eosToken end-of-sequence token text, or null
 * @param padToken padding token text, or null
 * @param unkToken unknown token text, or null
 */
public record SpecialTokens(String bosToken, String eosToken, String padToken, String unkToken) {

    /** No named special tokens. */
    public static SpecialTokens none() {
        return new SpecialTokens(null, null, null, null);
    }

    public Optional<String> bos() {
        return Optional.ofNullable(bosToken);
    }

    public Optional<String> eos() {
        return Optional.ofNullable(eosToken);
    }

    public Optional<String> pad() {
        return Optional.ofNullable(padToken);
    }

    public Optional<String> unk() {
        return Optional.ofNullable(unkToken);
    }

    /**
     * The template variables for the tokens that are defined. Undefined ones are left out, as Hugging
     * Face does, so that {@code bos_token is defined} behaves the same.
     */
    public Map<String, Object> asTemplateVariables() {
        Map<String, Object> vars = new LinkedHashMap<>();
        bos().ifPresent(t -> vars.put("bos_token", t));
        eos().ifPresent(t -> vars.put("eos_token", t));
        pad().ifPresent(t -> vars.put("pad_token", t));
        unk().ifPresent(t -> vars.put("unk_token", t));
        return vars;
    }
}
