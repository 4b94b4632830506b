package dev.livetune.llm.cli;

import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.model.ModelConfig;
import dev.livetune.llm.model.ModelFamily;
import dev.livetune.llm.model.RandomModelWriter;
import dev.livetune.llm.model.RopeConfig;
import dev.livetune.llm.tokenizer.ByteLevelTokenizerWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code init-model}: a random-weight model in Hugging Face format, with a byte-level tokenizer. */
@Command(name = "init-model",
        description = "Write a random-weight model (config.json, generation_config.json, model.safetensors, "
                + "tokenizer.json, tokenizer_config.json) to --out.")
final class InitModelCommand implements Callable<Integer> {

    enum Family { llama, qwen2, qwen3 }

    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeOptions runtime;

    @Option(names = "--family", required = true, description = "llama, qwen2 or qwen3")
    Family family;

    @Option(names = "--out", required = true, description = "output directory")
    Path out;

    @Option(names = "--hidden", required = true, description = "hidden size")
    int hidden;

    @Option(names = "--layers", required = true, description = "decoder layers")
    int layers;

    @Option(names = "--heads", required = true, description = "attention heads")
    int heads;

    @Option(names = "--kv-heads", required = true, description = "key/value heads")
    int kvHeads;

    @Option(names = "--intermediate", required = true, description = "MLP width")
    int intermediate;

    @Option(names = "--seed", required = true, description = "random seed")
    long seed;

    @Option(names = "--vocab", defaultValue = "512", description = "vocabulary size, at least "
            + ByteLevelTokenizerWriter.TOKENIZER_SIZE + " (default 512)")
    int vocab;

    @Option(names = "--head-dim", defaultValue = "0", description = "head width (default hidden / heads)")
    int headDim;

    @Option(names = "--tie-embeddings", description = "share embed_tokens with lm_head")
    boolean tie;

    @Option(names = "--max-positions", defaultValue = "4096", description = "context length (default 4096)")
    int maxPositions;

    @Override
    public Integer call() throws IOException {
        int d = headDim > 0 ? headDim : hidden / heads;
        require(hidden > 0 && layers > 0 && heads > 0 && kvHeads > 0 && intermediate > 0,
                "sizes must be positive");
        require(heads % kvHeads == 0, "--heads must be a multiple of --kv-heads");
        require(d % 2 == 0 && (headDim > 0 || hidden % heads == 0),
                "head width must be even (and --hidden divisible by --heads unless --head-dim is given)");
        require(vocab >= ByteLevelTokenizerWriter.TOKENIZER_SIZE,
                "--vocab must be at least " + ByteLevelTokenizerWriter.TOKENIZER_SIZE + " to hold the byte-level tokenizer");
        ModelFamily f = ModelFamily.ofModelType(family.name()).orElseThrow();
        ModelConfig config = new ModelConfig(f, vocab, hidden, intermediate, layers, heads, kvHeads, d,
                1e-6, RopeConfig.plain(f == ModelFamily.LLAMA ? 10000.0 : 1000000.0), maxPositions, tie,
                false, false, ByteLevelTokenizerWriter.BOS_ID,
                Arrays.stream(ByteLevelTokenizerWriter.eosIds()).boxed().toList());
        try (TorchRuntime rt = runtime.start()) {
            new RandomModelWriter(rt.json(), rt.manager()).writeModel(out, config, seed);
        }
        ByteLevelTokenizerWriter.write(out, vocab, maxPositions);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("out", out.toAbsolutePath().toString());
        result.put("family", f.architecture());
        result.put("parameters", config.parameterCount());
        Json.print(spec.commandLine().getOut(), result);
        return 0;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
