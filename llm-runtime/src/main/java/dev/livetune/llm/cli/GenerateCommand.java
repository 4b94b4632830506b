package dev.livetune.llm.cli;

import dev.livetune.llm.LanguageModel;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.generate.GenerationRequest;
import dev.livetune.llm.generate.GenerationResult;
import dev.livetune.llm.generate.SamplingParams;
import dev.livetune.llm.generate.TokenListener;
import dev.livetune.llm.lora.LoraAdapter;
import dev.livetune.llm.tokenizer.ChatMessage;
import dev.livetune.llm.tokenizer.TokenizerException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import java.util.SplittableRandom;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code generate}: continue token ids, a raw prompt or a chat message. */
@Command(name = "generate", description = "Print {\"new_ids\": [...], \"text\": \"...\", \"finish_reason\": \"...\"}.")
final class GenerateCommand extends ModelCommand {

    @Option(names = "--adapter", description = "PEFT LoRA adapter directory")
    Path adapter;

    static final class Input {
        @Option(names = "--ids", split = ",", description = "prompt token ids, comma-separated")
        int[] ids;

        @Option(names = "--prompt", description = "raw prompt text (needs a tokenizer)")
        String prompt;

        @Option(names = "--chat", description = "a user message, rendered with the chat template (needs a tokenizer)")
        String chat;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(names = "--max-new-tokens", defaultValue = "32", description = "most tokens to generate (default 32)")
    int maxNewTokens;

    @Option(names = "--greedy", description = "argmax decoding (the default unless --temperature > 0)")
    boolean greedy;

    @Option(names = "--temperature", defaultValue = "0", description = "sampling temperature; 0 = greedy")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "keep the k most likely tokens; 0 = all")
    int topK;

    @Option(names = "--top-p", defaultValue = "1", description = "nucleus sampling mass; 1 = all")
    double topP;

    @Option(names = "--repetition-penalty", defaultValue = "1", description = "1 = none")
    double repetitionPenalty;

    @Option(names = "--seed", description = "seed for sampling")
    Long seed;

    @Option(names = "--stop", description = "stop string (repeatable)")
    List<String> stops = List.of();

    @Option(names = "--stop-id", split = ",", description = "extra stop token ids")
    int[] stopIds = new int[0];

    @Option(names = "--ignore-eos", description = "do not stop at the model's eos ids")
    boolean ignoreEos;

    @Option(names = "--stream", description = "also write text deltas to stderr as they are generated")
    boolean stream;

    @Override
    public Integer call() {
        SamplingParams.Builder p = SamplingParams.builder()
                .setMaxNewTokens(maxNewTokens)
                .optTemperature(greedy ? 0 : temperature)
                .optTopK(topK)
                .optTopP(topP)
                .optRepetitionPenalty(repetitionPenalty)
                .optStopStrings(stops)
                .optStopTokenIds(Arrays.stream(stopIds).boxed().collect(Collectors.toSet()))
                .optIgnoreEos(ignoreEos);
        if (seed != null) {
            p.optSeed(seed);
        }
        SamplingParams sampling = p.build();
        try (TorchRuntime rt = runtime.start();
                LanguageModel lm = LanguageModel.load(model, rt);
                LoraAdapter lora = adapter == null ? null : lm.loadAdapter(adapter, adapter.toString())) {
            int[] prompt = promptIds(lm);
            PrintWriter err = spec.commandLine().getErr();
            TokenListener listener = stream ? (id, delta) -> {
                err.print(delta);
                err.flush();
            } : TokenListener.NONE;
            GenerationResult r = lm.generator(new SplittableRandom()).generate(List.of(
                    new GenerationRequest(prompt, lora, sampling, listener, null))).get(0);
            if (stream) {
                err.println();
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("new_ids", r.newIds());
            out.put("text", r.text());
            out.put("finish_reason", r.finishReason().name().toLowerCase());
            out.put("prompt_tokens", r.promptTokens());
            print(out);
            return 0;
        }
    }

    private int[] promptIds(LanguageModel lm) {
        if (input.ids != null) {
            return input.ids;
        }
        var tokenizer = lm.tokenizer().orElseThrow(() -> new TokenizerException(
                lm.dir().resolve("tokenizer.json") + ": not found; use --ids with a model without a tokenizer"));
        if (input.prompt != null) {
            return tokenizer.encode(input.prompt, true);
        }
        return lm.encodeChat(List.of(ChatMessage.user(input.chat)));
    }

}
