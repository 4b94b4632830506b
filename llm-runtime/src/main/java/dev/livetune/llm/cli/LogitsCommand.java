package dev.livetune.llm.cli;

import dev.livetune.llm.LanguageModel;
import dev.livetune.llm.engine.TorchRuntime;
import dev.livetune.llm.lora.LoraAdapter;
import dev.livetune.llm.lora.LoraBatch;
import dev.livetune.llm.model.DecoderModel;
import dev.livetune.llm.model.KvCache;
import dev.livetune.llm.model.Logits;
import java.nio.file.Path;
import java.util.Arrays;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code logits --model DIR [--adapter DIR] --ids 1,2,3}: one row of vocabulary logits per input position. */
@Command(name = "logits", description = "Print {\"logits\": [[...], ...]}: one row of logits per input position.")
final class LogitsCommand extends ModelCommand {

    @Option(names = "--adapter", description = "PEFT LoRA adapter directory")
    Path adapter;

    @Option(names = "--ids", required = true, split = ",", description = "input token ids, comma-separated")
    int[] ids;

    @Override
    public Integer call() {
        try (TorchRuntime rt = runtime.start();
                LanguageModel lm = LanguageModel.load(model, rt);
                LoraAdapter lora = adapter == null ? null : lm.loadAdapter(adapter, adapter.toString())) {
            DecoderModel m = lm.decoder();
            Logits logits;
            try (KvCache cache = m.newCache(1, ids.length);
                    LoraBatch batch = LoraBatch.of(Arrays.asList(lora), m.config(), m.manager())) {
                logits = m.prefill(cache, new int[][] {ids}, batch, true);
            }
            float[][] rows = new float[ids.length][];
            for (int p = 0; p < ids.length; p++) {
                rows[p] = logits.row(0, p);
            }
            print(java.util.Map.of("logits", rows));
            return 0;
        }
    }
}
