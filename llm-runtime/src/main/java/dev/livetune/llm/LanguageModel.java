package dev.livetune.llm;

import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.generate.GenerationDefaults;
import dev.livetune.llm.generate.Generator;
import dev.livetune.llm.generate.TextStream;
import dev.livetune.llm.lora.LoraAdapter;
import dev.livetune.llm.model.DecoderModel;
import dev.livetune.llm.tokenizer.ChatMessage;
import dev.livetune.llm.tokenizer.ChatTemplate;
import dev.livetune.llm.tokenizer.StreamingDetokenizer;
import dev.livetune.llm.tokenizer.TextTokenizer;
import dev.livetune.llm.tokenizer.TokenizerException;
import dev.livetune.llm.tools.ToolCallFormat;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * A Hugging Face model directory, loaded: the decoder, and its tokenizer and chat template when the
 * directory has them. The entry point for code that wants to chat with a model rather than run
 * tensors through it.
 */
public final class LanguageModel implements AutoCloseable {

    private final Path dir;
    private final TorchRuntime runtime;
    private final DecoderModel decoder;
    private final Optional<TextTokenizer> tokenizer;
    private final GenerationDefaults generationDefaults;

    private LanguageModel(Path dir, TorchRuntime runtime, DecoderModel decoder, Optional<TextTokenizer> tokenizer,
            GenerationDefaults generationDefaults) {
        this.dir = dir;
        this.runtime = runtime;
        this.decoder = decoder;
        this.tokenizer = tokenizer;
        this.generationDefaults = generationDefaults;
    }

    /**
     * @param dir     a Hugging Face model directory
     * @param runtime the process's PyTorch runtime, whose precision the model computes in
     * @throws dev.livetune.llm.model.ModelFormatException naming the file when something is wrong with it
     */
    public static LanguageModel load(Path dir, TorchRuntime runtime) {
        DecoderModel decoder = DecoderModel.load(dir, runtime.manager(), runtime.json(), runtime.precision());
        try {
            GenerationDefaults defaults = GenerationDefaults.read(dir, runtime.json());
            return new LanguageModel(dir, runtime, decoder, TextTokenizer.load(dir), defaults);
        } catch (RuntimeException e) {
            decoder.close();
            throw e;
        }
    }

    /** @return the directory it was loaded from */
    public Path dir() {
        return dir;
    }

    /** @return the decoder */
    public DecoderModel decoder() {
        return decoder;
    }

    /** @return the sampling defaults of its {@code generation_config.json}, for requests that leave them out */
    public GenerationDefaults generationDefaults() {
        return generationDefaults;
    }

    /** @return the tokenizer, absent when the directory has no {@code tokenizer.json} */
    public Optional<TextTokenizer> tokenizer() {
        return tokenizer;
    }

    /** @return the model's chat template, or the documented ChatML default when it has none */
    public ChatTemplate chatTemplate() {
        return tokenizer.flatMap(TextTokenizer::chatTemplate).orElseGet(ChatTemplate::chatMlDefault);
    }

    /** @return prompt ids of a conversation, rendered with the chat template, ready to generate the reply */
    public int[] encodeChat(List<ChatMessage> messages) {
        return encodeChat(messages, List.of(), "");
    }

    /**
     * @param tools       function definitions as the template sees them ({@code {"type": "function",
     *                    "function": {"name", "description", "parameters"}}}); empty for none
     * @param replyPrefix text that starts the assistant's reply (a forced tool call's opening), or ""
     * @return the prompt's token ids: the conversation with its tools, ready for the reply
     */
    public int[] encodeChat(List<ChatMessage> messages, List<Map<String, Object>> tools, String replyPrefix) {
        TextTokenizer t = tokenizer.orElseThrow(() -> new TokenizerException(
                dir.resolve("tokenizer.json") + ": no tokenizer, so chat messages cannot be encoded"));
        String prompt = tools.isEmpty() ? chatTemplate().render(messages, true)
                : chatTemplate().render(messages, true, Map.of("tools", tools));
        return t.encode(prompt + replyPrefix, false);
    }

    /** @return how this model's chat template writes function calls; empty when it renders no tools */
    public Optional<ToolCallFormat> toolCallFormat() {
        return ToolCallFormat.of(chatTemplate().source());
    }

    /** @return one detokenizer per sequence (no text without a tokenizer) */
    public Supplier<TextStream> textStreams() {
        return tokenizer.<Supplier<TextStream>>map(t -> () -> {
            StreamingDetokenizer d = new StreamingDetokenizer(t, true);
            return new TextStream() {
                @Override
                public String push(int tokenId) {
                    return d.push(tokenId);
                }

                @Override
                public String flush() {
                    return d.flush();
                }
            };
        }).orElse(() -> TextStream.NONE);
    }

    /** @return a generator for this model */
    public Generator generator(RandomGenerator seeds) {
        return new Generator(decoder, textStreams(), seeds);
    }

    /**
     * @param adapterDir a PEFT LoRA adapter directory
     * @param name       its name in logs and errors
     * @return the adapter, validated against this model
     */
    public LoraAdapter loadAdapter(Path adapterDir, String name) {
        return LoraAdapter.load(adapterDir, name, decoder.config(), decoder.manager(), runtime.json());
    }

    @Override
    public void close() {
        tokenizer.ifPresent(TextTokenizer::close);
        decoder.close();
    }
}
