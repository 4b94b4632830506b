package dev.livetune.llm.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextTokenizerTest {
    @TempDir Path dir;

    private final ObjectMapper mapper = new ObjectMapper();

    @Test
    void absentTokenizerJsonGivesEmpty() {
        assertThat(TextTokenizer.load(dir)).isEmpty();
    }

    @Test
    void byteLevelRoundTripSpecialsAndChat() {
        ByteLevelTokenizerWriter.write(dir, 300);
        try (TextTokenizer tok = TextTokenizer.load(dir).orElseThrow()) {
            String text = "héllo wörld 😀 日本 . ,";
            int[] ids = tok.encode(text, false);
            assertThat(ids).hasSize(text.getBytes(StandardCharsets.UTF_8).length);
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < ids.length; i++) {
                assertThat(ids[i]).isEqualTo(utf8[i] & 0xFF); // id == byte value
            }
            assertThat(tok.decode(ids, false)).isEqualTo(text); // no clean-up of " ." / " ,"

            assertThat(tok.encode("ab", true)).containsExactly(ByteLevelTokenizerWriter.BOS_ID, 'a', 'b');
            assertThat(tok.encode("<|im_start|><|im_end|><|begin_of_text|><|end_of_text|><|pad|>", false))
                    .containsExactly(258, 259, 256, 257, 260);
            assertThat(tok.tokenToId("<|im_end|>")).hasValue(ByteLevelTokenizerWriter.IM_END_ID);
            assertThat(tok.tokenToId("Ġ")).hasValue(32); // GPT-2's byte-level spelling of a space
            assertThat(tok.tokenToId("nope")).isEmpty();
            assertThat(tok.bosToken()).hasValue("<|begin_of_text|>");
            assertThat(tok.eosToken()).hasValue("<|im_end|>");
            assertThat(tok.eosTokenId()).hasValue(259);
            assertThat(tok.bosTokenId()).hasValue(256);
            assertThat(tok.specialTokenIds()).containsExactly(256, 257, 258, 259, 260);
            assertThat(tok.vocabSize()).isEqualTo(261);
            assertThat(tok.addBosToken()).hasValue(false);

            int[] withSpecial = tok.encode("<|im_start|>hi<|im_end|>", false);
            assertThat(tok.decode(withSpecial, true)).isEqualTo("hi");
            assertThat(tok.decode(withSpecial, false)).isEqualTo("<|im_start|>hi<|im_end|>");

            String prompt = tok.chatTemplate().orElseThrow()
                    .render(List.of(ChatMessage.user("héllo")), true);
            assertThat(prompt).isEqualTo("<|im_start|>user\nhéllo<|im_end|>\n<|im_start|>assistant\n");
            int[] promptIds = tok.encode(prompt, false);
            assertThat(promptIds[0]).isEqualTo(ByteLevelTokenizerWriter.IM_START_ID);
            assertThat(promptIds).contains(ByteLevelTokenizerWriter.IM_END_ID);
            assertThat(tok.decode(promptIds, false)).isEqualTo(prompt);
        }
    }

    @Test
    void neverTruncates() {
        ByteLevelTokenizerWriter.write(dir, 261, 16);
        try (TextTokenizer tok = TextTokenizer.load(dir).orElseThrow()) {
            String text = "x".repeat(10_000);
            assertThat(tok.encode(text, true)).hasSize(10_001);
        }
    }

    @Test
    void writerRejectsSmallVocab() {
        assertThatThrownBy(() -> ByteLevelTokenizerWriter.write(dir, 260))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("261");
        assertThat(ByteLevelTokenizerWriter.specialIds()).containsExactly(256, 257, 258, 259, 260);
    }

    @Test
    void bytesToUnicodeIsGpt2Mapping() {
        String[] t = ByteLevelTokenizerWriter.bytesToUnicode();
        assertThat(t['a']).isEqualTo("a");
        assertThat(t[' ']).isEqualTo("Ġ");
        assertThat(t['\n']).isEqualTo("Ċ");
        assertThat(t[0]).isEqualTo("Ā");
        assertThat(t[0xAD]).isEqualTo("Ń");
        assertThat(List.of(t)).doesNotHaveDuplicates();
    }

    @Test
    void configTokenObjectsTemplateListAndDecoderEntries() throws IOException {
        ByteLevelTokenizerWriter.write(dir, 261);
        ObjectNode config = mapper.createObjectNode();
        config.putObject("bos_token").put("content", "<|im_start|>").put("__type", "AddedToken");
        config.put("eos_token", "<|end_of_text|>");
        config.putNull("pad_token");
        var list = config.putArray("chat_template");
        list.addObject().put("name", "tool_use").put("template", "TOOLS");
        list.addObject().put("name", "default").put("template", "{{ bos_token }}{{ eos_token }}");
        config.putObject("added_tokens_decoder").putObject("300")
                .put("content", "<extra>").put("special", true);
        Files.writeString(dir.resolve("tokenizer_config.json"), config.toString());
        try (TextTokenizer tok = TextTokenizer.load(dir).orElseThrow()) {
            assertThat(tok.bosToken()).hasValue("<|im_start|>");
            assertThat(tok.specialTokens().pad()).isEmpty();
            assertThat(tok.chatTemplate().orElseThrow().render(List.of(), false))
                    .isEqualTo("<|im_start|><|end_of_text|>");
            assertThat(tok.tokenToId("<extra>")).hasValue(300);
            assertThat(tok.specialTokenIds()).contains(300);
            assertThat(tok.vocabSize()).isEqualTo(301);
        }
    }

    @Test
    void chatTemplateJinjaFileAndNoConfig() throws IOException {
        ByteLevelTokenizerWriter.write(dir, 261);
        Files.delete(dir.resolve("tokenizer_config.json"));
        Files.writeString(dir.resolve("chat_template.jinja"), "{{ messages[0].content }}\n");
        try (TextTokenizer tok = TextTokenizer.load(dir).orElseThrow()) {
            assertThat(tok.bosToken()).isEmpty();
            assertThat(tok.chatTemplate().orElseThrow().render(List.of(ChatMessage.user("x")), false))
                    .isEqualTo("x");
        }
    }

    @Test
    void malformedFilesNameTheFileAndProblem() throws IOException {
        ByteLevelTokenizerWriter.write(dir, 261);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": 5}");
        assertThatThrownBy(() -> TextTokenizer.load(dir))
                .isInstanceOf(TokenizerException.class)
                .hasMessage("tokenizer_config.json: chat_template is not a string or list");
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"chat_template\": [{\"name\": \"rag\", \"template\": \"x\"}]}");
        assertThatThrownBy(() -> TextTokenizer.load(dir))
                .hasMessageContaining("tokenizer_config.json").hasMessageContaining("default");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": 3}");
        assertThatThrownBy(() -> TextTokenizer.load(dir))
                .hasMessageContaining("tokenizer_config.json: eos_token");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{");
        assertThatThrownBy(() -> TextTokenizer.load(dir))
                .hasMessageContaining("tokenizer_config.json: not valid JSON");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{}");
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"Nope\"}}");
        assertThatThrownBy(() -> TextTokenizer.load(dir))
                .isInstanceOf(TokenizerException.class)
                .hasMessageContaining("tokenizer.json");
    }
}
