package dev.livetune.llm.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes {@code tokenizer.json} and {@code tokenizer_config.json} of a byte-level BPE tokenizer for
 * random-weight test models. The Hugging Face tokenizers library (DJL, Python transformers) loads
 * it.
 *
 * <p>The vocabulary is the 256 GPT-2 byte-level characters ({@code bytes_to_unicode}) as ids 0..255
 * with no merges, and the ByteLevel pre-tokenizer runs without its splitting regex, so every UTF-8
 * byte of the text is one token. Special tokens are added tokens 256..260: {@code <|begin_of_text|>}
 * (BOS, added by the post-processor when special tokens are requested), {@code <|end_of_text|>},
 * {@code <|im_start|>}, {@code <|im_end|>}, {@code <|pad|>}.
 *
 * <p>The config names {@code <|im_end|>} as {@code eos_token}, not {@code <|end_of_text|>}: the chat
 * template is ChatML, and generation should stop at the end of the assistant's turn. Write both
 * {@link #IM_END_ID} and {@link #END_OF_TEXT_ID} as EOS ids in {@code generation_config.json}
 * ({@link #eosIds()}).
 */
public final class ByteLevelTokenizerWriter {
    public static final int BOS_ID = 256;
    public static final int END_OF_TEXT_ID = 257;
    public static final int IM_START_ID = 258;
    public static final int IM_END_ID = 259;
    public static final int PAD_ID = 260;
    /** The tokenizer's size; a model's vocabulary must be at least this large. */
    public static final int TOKENIZER_SIZE = 261;
    /** {@code model_max_length} written by {@link #write(Path, int)}. */
    public static final int DEFAULT_MODEL_MAX_LENGTH = 4096;

    public static final String BOS = "<|begin_of_text|>";
    public static final String END_OF_TEXT = "<|end_of_text|>";
    public static final String IM_START = "<|im_start|>";
    public static final String IM_END = "<|im_end|>";
    public static final String PAD = "<|pad|>";

    private static final List<String> SPECIALS = List.of(BOS, END_OF_TEXT, IM_START, IM_END, PAD);

    private ByteLevelTokenizerWriter() {}

    /** Ids of the special tokens, in id order: BOS, end-of-text, im_start, im_end, pad. */
    public static int[] specialIds() {
        return new int[] {BOS_ID, END_OF_TEXT_ID, IM_START_ID, IM_END_ID, PAD_ID};
    }

    /** Ids that end generation: {@code <|im_end|>} (the config's eos_token) and end-of-text. */
    public static int[] eosIds() {
        return new int[] {IM_END_ID, END_OF_TEXT_ID};
    }

    /** As {@link #write(Path, int, int)} with {@link #DEFAULT_MODEL_MAX_LENGTH}. */
    public static void write(Path dir, int vocabSize) {
        write(dir, vocabSize, DEFAULT_MODEL_MAX_LENGTH);
    }

    /**
     * Writes both files into {@code dir} (created if missing), replacing existing ones.
     *
     * @param vocabSize the model's vocabulary size; must hold the 261 tokenizer ids (ids above 260 are
     *     never produced by this tokenizer)
     * @param modelMaxLength written as {@code model_max_length}
     * @throws IllegalArgumentException when {@code vocabSize < 261} or {@code modelMaxLength < 1}
     * @throws TokenizerException when the files cannot be written
     */
    public static void write(Path dir, int vocabSize, int modelMaxLength) {
        if (vocabSize < TOKENIZER_SIZE) {
            throw new IllegalArgumentException(
                    "vocabSize " + vocabSize + " is below the byte-level tokenizer's " + TOKENIZER_SIZE
                            + " ids (256 bytes + 5 special tokens)");
        }
        if (modelMaxLength < 1) {
            throw new IllegalArgumentException("modelMaxLength must be positive: " + modelMaxLength);
        }
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        try {
            Files.createDirectories(dir);
            mapper.writeValue(dir.resolve(TextTokenizer.TOKENIZER_JSON).toFile(), tokenizerJson());
            mapper.writeValue(
                    dir.resolve(TextTokenizer.TOKENIZER_CONFIG_JSON).toFile(), tokenizerConfig(modelMaxLength));
        } catch (IOException e) {
            throw new TokenizerException(dir + ": cannot write the byte-level tokenizer: " + e.getMessage(), e);
        }
    }

    /** GPT-2's {@code bytes_to_unicode}: printable bytes map to themselves, the rest to 256+n. */
    static String[] bytesToUnicode() {
        String[] table = new String[256];
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
            table[b] = String.valueOf((char) (printable ? b : 256 + n++));
        }
        return table;
    }

    private static ObjectNode tokenizerJson() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < SPECIALS.size(); i++) {
            ObjectNode t = added.addObject();
            t.put("id", BOS_ID + i);
            t.put("content", SPECIALS.get(i));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "ByteLevel");
        pre.put("add_prefix_space", false);
        pre.put("trim_offsets", true);
        pre.put("use_regex", false); // no word splitting: with no merges every byte is one token anyway
        root.set("post_processor", bosPostProcessor(f));
        ObjectNode decoder = root.putObject("decoder");
        decoder.put("type", "ByteLevel");
        decoder.put("add_prefix_space", false);
        decoder.put("trim_offsets", true);
        decoder.put("use_regex", false);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        ObjectNode vocab = model.putObject("vocab");
        String[] table = bytesToUnicode();
        for (int b = 0; b < 256; b++) {
            vocab.put(table[b], b);
        }
        model.putArray("merges");
        return root;
    }

    /** Like Llama 3: with special tokens requested, BOS goes in front of each sequence. */
    private static ObjectNode bosPostProcessor(JsonNodeFactory f) {
        ObjectNode post = f.objectNode();
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", BOS).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", BOS).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", BOS).put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode bos = post.putObject("special_tokens").putObject(BOS);
        bos.put("id", BOS);
        bos.putArray("ids").add(BOS_ID);
        bos.putArray("tokens").add(BOS);
        return post;
    }

    private static ObjectNode tokenizerConfig(int modelMaxLength) {
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.put("tokenizer_class", "PreTrainedTokenizerFast");
        c.put("bos_token", BOS);
        c.put("eos_token", IM_END);
        c.put("pad_token", PAD);
        c.put("add_bos_token", false);
        c.put("clean_up_tokenization_spaces", false);
        c.put("model_max_length", modelMaxLength);
        c.put("chat_template", ChatTemplate.CHATML_SOURCE);
        ObjectNode decoder = c.putObject("added_tokens_decoder");
        for (int i = 0; i < SPECIALS.size(); i++) {
            ObjectNode t = decoder.putObject(String.valueOf(BOS_ID + i));
            t.put("content", SPECIALS.get(i));
            t.put("lstrip", false);
            t.put("normalized", false);
            t.put("rstrip", false);
            t.put("single_word", false);
            t.put("special", true);
        }
        return c;
    }
}
