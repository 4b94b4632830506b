package dev.livetune.llm.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;

/**
 * The tokenizer of a Hugging Face model directory: {@code tokenizer.json} run by the Rust
 * tokenizers library through DJL, plus what {@code tokenizer_config.json} says about special tokens
 * and the chat template.
 *
 * <p>Encoding never truncates or pads, and adds special tokens (the {@code tokenizer.json}
 * post-processor, e.g. Llama 3's BOS) only when asked. For chat prompts render the {@link
 * #chatTemplate()} and call {@code encode(rendered, false)}: a template that needs BOS writes {@code
 * bos_token} itself, so adding special tokens again would double it.
 *
 * <p>Decoding does not apply {@code clean_up_tokenization_spaces} (which would rewrite {@code " ."}
 * to {@code "."}); streamed text must equal the concatenation of its pieces, see {@link
 * StreamingDetokenizer}.
 *
 * <p>Nothing is downloaded: the tokenizer is built from the local file's contents, and DJL's
 * usage ping is disabled (system property {@code OPT_OUT_TRACKING=true} unless already set).
 */
public final class TextTokenizer implements AutoCloseable {
    static final String TOKENIZER_JSON = "tokenizer.json";
    static final String TOKENIZER_CONFIG_JSON = "tokenizer_config.json";
    static final String CHAT_TEMPLATE_JINJA = "chat_template.jinja";

    private final HuggingFaceTokenizer tokenizer;
    private final Map<String, Integer> tokenIds;
    private final Set<Integer> specialTokenIds;
    private final int vocabSize;
    private final SpecialTokens specialTokens;
    private final Optional<Boolean> addBosToken;
    private final Optional<ChatTemplate> chatTemplate;

    private TextTokenizer(
            HuggingFaceTokenizer tokenizer,
            Map<String, Integer> tokenIds,
            Set<Integer> specialTokenIds,
            int vocabSize,
            SpecialTokens specialTokens,
            Optional<Boolean> addBosToken,
            Optional<ChatTemplate> chatTemplate) {
        this.tokenizer = tokenizer;
        this.tokenIds = tokenIds;
        this.specialTokenIds = specialTokenIds;
        this.vocabSize = vocabSize;
        this.specialTokens = specialTokens;
        this.addBosToken = addBosToken;
        this.chatTemplate = chatTemplate;
    }

    /**
     * Loads the tokenizer of {@code modelDir}, with the system clock for {@code strftime_now}.
     *
     * @return empty when the directory has no {@code tokenizer.json} (callers then work on ids only)
     * @throws TokenizerException when a tokenizer file is unreadable or malformed
     */
    public static Optional<TextTokenizer> load(Path modelDir) {
        return load(modelDir, Clock.systemDefaultZone());
    }

    /** As {@link #load(Path)}, with the clock the chat template's {@code strftime_now} reads. */
    public static Optional<TextTokenizer> load(Path modelDir, Clock clock) {
        Objects.requireNonNull(modelDir, "modelDir");
        Objects.requireNonNull(clock, "clock");
        Path tokenizerJson = modelDir.resolve(TOKENIZER_JSON);
        if (!Files.isRegularFile(tokenizerJson)) {
            return Optional.empty();
        }
        ObjectMapper mapper = new ObjectMapper();
        byte[] tokenizerBytes = read(tokenizerJson);
        JsonNode tokenizerRoot = parse(mapper, tokenizerBytes, tokenizerJson);
        Path configJson = modelDir.resolve(TOKENIZER_CONFIG_JSON);
        JsonNode config =
                Files.isRegularFile(configJson)
                        ? parse(mapper, read(configJson), configJson)
                        : mapper.createObjectNode();
        if (!config.isObject()) {
            throw new TokenizerException(TOKENIZER_CONFIG_JSON + ": top level is not a JSON object");
        }

        Map<String, Integer> ids = new HashMap<>();
        Set<Integer> specials = new TreeSet<>();
        int maxId = readModelVocab(tokenizerRoot, ids);
        maxId = Math.max(maxId, readAddedTokens(tokenizerRoot, ids, specials));
        maxId = Math.max(maxId, readAddedTokensDecoder(config, ids, specials));

        SpecialTokens named =
                new SpecialTokens(
                        tokenText(config, "bos_token"),
                        tokenText(config, "eos_token"),
                        tokenText(config, "pad_token"),
                        tokenText(config, "unk_token"));
        Optional<Boolean> addBos = Optional.empty();
        JsonNode addBosNode = config.get("add_bos_token");
        if (addBosNode != null && !addBosNode.isNull()) {
            if (!addBosNode.isBoolean()) {
                throw new TokenizerException(TOKENIZER_CONFIG_JSON + ": add_bos_token is not a boolean");
            }
            addBos = Optional.of(addBosNode.booleanValue());
        }
        Optional<String> templateSource = chatTemplateSource(config, modelDir);
        Optional<ChatTemplate> template =
                templateSource.map(src -> new ChatTemplate(src, named, clock));

        HuggingFaceTokenizer hf = newHuggingFaceTokenizer(tokenizerBytes, tokenizerJson);
        return Optional.of(
                new TextTokenizer(
                        hf,
                        Collections.unmodifiableMap(ids),
                        Collections.unmodifiableSet(specials),
                        maxId + 1,
                        named,
                        addBos,
                        template));
    }

    /**
     * Token ids of {@code text}.
     *
     * @param addSpecialTokens whether the {@code tokenizer.json} post-processor may add its special
     *     tokens (e.g. BOS); use false for rendered chat prompts
     */
    public int[] encode(String text, boolean addSpecialTokens) {
        Objects.requireNonNull(text, "text");
        Encoding encoding = tokenizer.encode(text, addSpecialTokens, false);
        long[] ids = encoding.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    /**
     * Text of {@code ids}. Byte sequences that are not complete UTF-8 decode to U+FFFD, which is
     * what {@link StreamingDetokenizer} relies on to hold partial characters back.
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        Objects.requireNonNull(ids, "ids");
        return decode(ids, 0, ids.length, skipSpecialTokens);
    }

    /** Text of {@code ids[from, to)}; avoids copying for the streaming window. */
    public String decode(int[] ids, int from, int to, boolean skipSpecialTokens) {
        Objects.checkFromToIndex(from, to, ids.length);
        if (from == to) {
            return "";
        }
        long[] longs = new long[to - from];
        for (int i = from; i < to; i++) {
            if (ids[i] < 0) {
                throw new IllegalArgumentException("negative token id " + ids[i]);
            }
            longs[i - from] = ids[i];
        }
        return tokenizer.decode(longs, skipSpecialTokens);
    }

    /**
     * The id of a vocabulary or added token, by its exact token string (byte-level vocabularies
     * spell a leading space as {@code Ġ}).
     */
    public OptionalInt tokenToId(String token) {
        Integer id = tokenIds.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The {@code bos_token} of {@code tokenizer_config.json}. */
    public Optional<String> bosToken() {
        return specialTokens.bos();
    }

    /** The {@code eos_token} of {@code tokenizer_config.json}. */
    public Optional<String> eosToken() {
        return specialTokens.eos();
    }

    /** The id of {@link #bosToken()}, when the vocabulary has it. */
    public OptionalInt bosTokenId() {
        return bosToken().map(this::tokenToId).orElse(OptionalInt.empty());
    }

    /** The id of {@link #eosToken()}, when the vocabulary has it. */
    public OptionalInt eosTokenId() {
        return eosToken().map(this::tokenToId).orElse(OptionalInt.empty());
    }

    /** All named special tokens (bos/eos/pad/unk). */
    public SpecialTokens specialTokens() {
        return specialTokens;
    }

    /** {@code add_bos_token} of {@code tokenizer_config.json}, when it is set. Informational only. */
    public Optional<Boolean> addBosToken() {
        return addBosToken;
    }

    /** Ids of the added tokens marked {@code special} (skipped by {@code decode(ids, true)}). */
    public Set<Integer> specialTokenIds() {
        return specialTokenIds;
    }

    /**
     * Highest token id plus one, over the model vocabulary and added tokens, like {@code
     * len(tokenizer)} in transformers. The model's embedding may be larger.
     */
    public int vocabSize() {
        return vocabSize;
    }

    /**
     * The chat template of {@code tokenizer_config.json} ({@code chat_template}, the entry named
     * {@code default} when it is a list) or of {@code chat_template.jinja}; empty when there is none
     * (callers may fall back to {@link ChatTemplate#chatMlDefault()}).
     */
    public Optional<ChatTemplate> chatTemplate() {
        return chatTemplate;
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    private static HuggingFaceTokenizer newHuggingFaceTokenizer(byte[] json, Path file) {
        // DJL pings home on EC2 when a tokenizer is created; the runtime must stay offline.
        if (System.getProperty("OPT_OUT_TRACKING") == null && System.getenv("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
        Map<String, String> options = new HashMap<>();
        options.put("addSpecialTokens", "false");
        options.put("truncation", "false");
        options.put("padding", "false");
        options.put("doLowerCase", "false");
        options.put("stripAccents", "false");
        options.put("addPrefixSpace", "false");
        // The stream overload reads no tokenizer_config.json, so DJL adds no Java-side behaviour
        // (prefix spaces, lower-casing, clean-up) beyond what tokenizer.json itself specifies.
        try {
            return HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), options);
        } catch (IOException | RuntimeException e) {
            throw new TokenizerException(
                    file.getFileName() + ": the tokenizers library rejects it: " + e.getMessage(), e);
        }
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new TokenizerException(file.getFileName() + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static JsonNode parse(ObjectMapper mapper, byte[] bytes, Path file) {
        try {
            return mapper.readTree(bytes);
        } catch (IOException e) {
            throw new TokenizerException(
                    file.getFileName() + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    /** Reads {@code model.vocab} (a map for BPE/WordPiece/WordLevel, a list for Unigram). */
    private static int readModelVocab(JsonNode root, Map<String, Integer> ids) {
        JsonNode vocab = root.path("model").path("vocab");
        int maxId = -1;
        if (vocab.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().canConvertToInt()) {
                    throw new TokenizerException(
                            TOKENIZER_JSON + ": model.vocab entry '" + e.getKey() + "' has no integer id");
                }
                int id = e.getValue().intValue();
                ids.put(e.getKey(), id);
                maxId = Math.max(maxId, id);
            }
        } else if (vocab.isArray()) {
            // Unigram: [[piece, score], ...], the id is the position
            for (int i = 0; i < vocab.size(); i++) {
                JsonNode entry = vocab.get(i);
                if (!entry.isArray() || entry.isEmpty() || !entry.get(0).isTextual()) {
                    throw new TokenizerException(
                            TOKENIZER_JSON + ": model.vocab[" + i + "] is not a [piece, score] pair");
                }
                ids.putIfAbsent(entry.get(0).textValue(), i);
                maxId = i;
            }
        } else if (!vocab.isMissingNode() && !vocab.isNull()) {
            throw new TokenizerException(TOKENIZER_JSON + ": model.vocab is not an object or list");
        }
        return maxId;
    }

    private static int readAddedTokens(JsonNode root, Map<String, Integer> ids, Set<Integer> specials) {
        JsonNode added = root.path("added_tokens");
        int maxId = -1;
        if (added.isMissingNode() || added.isNull()) {
            return maxId;
        }
        if (!added.isArray()) {
            throw new TokenizerException(TOKENIZER_JSON + ": added_tokens is not a list");
        }
        for (JsonNode token : added) {
            if (!token.path("id").canConvertToInt() || !token.path("content").isTextual()) {
                throw new TokenizerException(
                        TOKENIZER_JSON + ": added_tokens entry without integer id and string content: " + token);
            }
            int id = token.get("id").intValue();
            ids.put(token.get("content").textValue(), id);
            if (token.path("special").asBoolean(false)) {
                specials.add(id);
            }
            maxId = Math.max(maxId, id);
        }
        return maxId;
    }

    private static int readAddedTokensDecoder(
            JsonNode config, Map<String, Integer> ids, Set<Integer> specials) {
        JsonNode decoder = config.path("added_tokens_decoder");
        int maxId = -1;
        if (decoder.isMissingNode() || decoder.isNull()) {
            return maxId;
        }
        if (!decoder.isObject()) {
            throw new TokenizerException(TOKENIZER_CONFIG_JSON + ": added_tokens_decoder is not an object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = decoder.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                throw new TokenizerException(
                        TOKENIZER_CONFIG_JSON + ": added_tokens_decoder key '" + e.getKey() + "' is not an id");
            }
            JsonNode content = e.getValue().path("content");
            if (!content.isTextual()) {
                throw new TokenizerException(
                        TOKENIZER_CONFIG_JSON + ": added_tokens_decoder." + id + " has no string content");
            }
            ids.putIfAbsent(content.textValue(), id);
            if (e.getValue().path("special").asBoolean(false)) {
                specials.add(id);
            }
            maxId = Math.max(maxId, id);
        }
        return maxId;
    }

    /** A special token field: a string, an {@code AddedToken} object {@code {"content": ...}}, or null. */
    private static String tokenText(JsonNode config, String field) {
        JsonNode node = config.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isObject() && node.path("content").isTextual()) {
            return node.get("content").textValue();
        }
        throw new TokenizerException(
                TOKENIZER_CONFIG_JSON + ": " + field + " is not a string or an object with string content");
    }

    private static Optional<String> chatTemplateSource(JsonNode config, Path modelDir) {
        JsonNode node = config.get("chat_template");
        if (node == null || node.isNull()) {
            Path jinja = modelDir.resolve(CHAT_TEMPLATE_JINJA);
            if (Files.isRegularFile(jinja)) {
                return Optional.of(new String(read(jinja), StandardCharsets.UTF_8));
            }
            return Optional.empty();
        }
        if (node.isTextual()) {
            return Optional.of(node.textValue());
        }
        if (node.isArray()) {
            for (JsonNode entry : node) {
                if (!entry.path("name").isTextual() || !entry.path("template").isTextual()) {
                    throw new TokenizerException(
                            TOKENIZER_CONFIG_JSON + ": chat_template list entry is not {name, template}: " + entry);
                }
                if ("default".equals(entry.get("name").textValue())) {
                    return Optional.of(entry.get("template").textValue());
                }
            }
            throw new TokenizerException(
                    TOKENIZER_CONFIG_JSON + ": chat_template list has no entry named 'default'");
        }
        throw new TokenizerException(TOKENIZER_CONFIG_JSON + ": chat_template is not a string or list");
    }
}
