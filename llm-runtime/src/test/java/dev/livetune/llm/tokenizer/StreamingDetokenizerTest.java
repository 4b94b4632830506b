package dev.livetune.llm.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamingDetokenizerTest {
    private static final String TEXT = "héllo wörld 😀 日本";

    @TempDir Path dir;

    private static List<String> stream(TextTokenizer tok, int[] ids, boolean skipSpecial) {
        StreamingDetokenizer detok = new StreamingDetokenizer(tok, skipSpecial);
        List<String> deltas = new ArrayList<>();
        for (int id : ids) {
            deltas.add(detok.push(id));
        }
        deltas.add(detok.flush());
        return deltas;
    }

    @Test
    void byteByByteNeverSplitsACharacter() {
        ByteLevelTokenizerWriter.write(dir, 261);
        try (TextTokenizer tok = TextTokenizer.load(dir).orElseThrow()) {
            int[] ids = tok.encode(TEXT, false);
            assertThat(ids.length).isGreaterThan(TEXT.length()); // multi-byte chars span several ids
            List<String> deltas = stream(tok, ids, false);
            assertThat(deltas).allSatisfy(d -> assertThat(d).doesNotContain("\uFFFD"));
            assertThat(String.join("", deltas)).isEqualTo(TEXT);
            assertThat(deltas).contains("😀", "日", "本"); // emitted whole, once complete
        }
    }

    @Test
    void specialTokensAreSkippedOrKept() {
        ByteLevelTokenizerWriter.write(dir, 261);
        try (TextTokenizer tok = TextTokenizer.load(dir).orElseThrow()) {
            int[] ids = tok.encode("<|im_start|>ö<|im_end|>", false);
            assertThat(String.join("", stream(tok, ids, true))).isEqualTo("ö");
            assertThat(String.join("", stream(tok, ids, false))).isEqualTo("<|im_start|>ö<|im_end|>");
        }
    }

    @Test
    void incompleteCharacterAtEndIsFlushed() {
        ByteLevelTokenizerWriter.write(dir, 261);
        try (TextTokenizer tok = TextTokenizer.load(dir).orElseThrow()) {
            StreamingDetokenizer detok = new StreamingDetokenizer(tok, false);
            assertThat(detok.push('a')).isEqualTo("a");
            assertThat(detok.push(0xE6)).isEmpty(); // first byte of 日
            assertThat(detok.flush()).isEqualTo("\uFFFD");
            assertThat(detok.push('b')).isEqualTo("b"); // reusable after flush
        }
    }

    /** GPT-2 style BPE whose merges put token boundaries inside characters. */
    @Test
    void multiTokenBpe() throws IOException {
        ByteLevelTokenizerWriter.write(dir, 400);
        ObjectMapper mapper = new ObjectMapper();
        Path file = dir.resolve("tokenizer.json");
        ObjectNode root = (ObjectNode) mapper.readTree(file.toFile());
        ObjectNode pre = (ObjectNode) root.get("pre_tokenizer");
        pre.put("use_regex", true); // split into words like GPT-2
        ObjectNode vocab = (ObjectNode) root.get("model").get("vocab");
        ArrayNode merges = (ArrayNode) root.get("model").get("merges");
        // "hÃ" = 'h' + first byte of é, "¶ r" = last byte of ö + 'r', whole-word and emoji-prefix merges
        String[][] pairs = {
            {"h", "Ã"}, {"l", "l"}, {"ll", "o"}, {"Ġ", "w"}, {"Ã", "¶"}, {"Ġw", "Ã¶"}, {"r", "l"},
            {"rl", "d"}, {"Ġ", "ð"}, {"Ġð", "Ł"}, {"æ", "Ĺ"}, {"æĹ", "¥"}
        };
        int next = 300;
        for (String[] p : pairs) {
            merges.add(p[0] + " " + p[1]);
            vocab.put(p[0] + p[1], next++);
        }
        mapper.writeValue(file.toFile(), root);
        try (TextTokenizer tok = TextTokenizer.load(dir).orElseThrow()) {
            int[] ids = tok.encode(TEXT, false);
            assertThat(ids.length).isLessThan(TEXT.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
            assertThat(ids).contains(300, 305); // "hÃ" and "ĠwÃ¶" were used
            assertThat(tok.decode(ids, false)).isEqualTo(TEXT);
            List<String> deltas = stream(tok, ids, false);
            assertThat(deltas).allSatisfy(d -> assertThat(d).doesNotContain("\uFFFD"));
            assertThat(String.join("", deltas)).isEqualTo(TEXT);
        }
    }
}
