package dev.livetune.llm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.llm.Fixtures;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command-line entry, driven in-process exactly as maintainers' checks drive the jar. */
class LlmCliTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private record Run(int exit, String out, String err) {
        JsonNode json() throws Exception {
            assertThat(out.strip().lines()).as("exactly one line on stdout").hasSize(1);
            return JSON.readTree(out);
        }
    }

    private static Run run(String... args) {
        CommandLine cli = LlmCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void logitsPrintsOneRowPerPositionMatchingTransformers() throws Exception {
        for (boolean adapter : List.of(false, true)) {
            Fixtures.Case c = Fixtures.cases("qwen2-bias-tied", adapter).get(0);
            String ids = String.join(",", java.util.Arrays.stream(c.inputIds()).mapToObj(String::valueOf).toList());
            Path model = Fixtures.dir("qwen2-bias-tied");
            Run r = adapter
                    ? run("logits", "--model", model.toString(), "--adapter", Fixtures.adapter("qwen2-bias-tied").toString(), "--ids", ids)
                    : run("logits", "--model", model.toString(), "--ids", ids);
            assertThat(r.exit()).as(r.err()).isZero();
            JsonNode rows = r.json().get("logits");
            assertThat(rows).hasSize(c.inputIds().length);
            for (int p = 0; p < rows.size(); p++) {
                float[] row = new float[rows.get(p).size()];
                for (int i = 0; i < row.length; i++) {
                    row[i] = (float) rows.get(p).get(i).asDouble();
                }
                assertThat(Fixtures.relativeError(row, c.logits()[p])).isLessThan(1e-4);
            }
        }
    }

    @Test
    void generateOnIdsAloneMatchesTheGreedyReference() throws Exception {
        Fixtures.Case c = Fixtures.cases("llama3-ropescaled-tied", true).get(2);
        Run r = run("generate", "--model", Fixtures.dir("llama3-ropescaled-tied").toString(),
                "--adapter", Fixtures.adapter("llama3-ropescaled-tied").toString(),
                "--ids", "1", "--max-new-tokens", "5", "--greedy");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode out = r.json();
        assertThat(out.get("text").asText()).isEmpty();
        int[] ids = Fixtures.ints(out.get("new_ids"));
        assertThat(ids).containsExactly(java.util.Arrays.copyOf(c.greedyNewTokens(), 5));
    }

    @Test
    void initModelWritesAModelThatChatsThroughItsOwnTokenizer() throws Exception {
        for (String family : List.of("llama", "qwen2", "qwen3")) {
            Path dir = tmp.resolve(family);
            Run init = run("init-model", "--family", family, "--out", dir.toString(), "--hidden", "32",
                    "--layers", "2", "--heads", "4", "--kv-heads", "2", "--intermediate", "64", "--seed", "7",
                    "--vocab", "300");
            assertThat(init.exit()).as(init.err()).isZero();
            assertThat(init.json().get("parameters").asLong()).isPositive();
            Run chat = run("generate", "--model", dir.toString(), "--chat", "héllo", "--max-new-tokens", "6",
                    "--temperature", "0.9", "--seed", "3", "--ignore-eos");
            assertThat(chat.exit()).as(chat.err()).isZero();
            JsonNode out = chat.json();
            assertThat(out.get("new_ids")).hasSize(6);
            assertThat(out.get("prompt_tokens").asInt()).isGreaterThan(6);
            assertThat(out.get("finish_reason").asText()).isEqualTo("length");
            // Same seed, same output; the model files are deterministic too.
            Run again = run("generate", "--model", dir.toString(), "--chat", "héllo", "--max-new-tokens", "6",
                    "--temperature", "0.9", "--seed", "3", "--ignore-eos");
            assertThat(again.json()).isEqualTo(out);
        }
    }

    @Test
    void benchDecodeReportsPrefillAndDecodeSpeed() throws Exception {
        Run r = run("bench-decode", "--model", Fixtures.dir("llama-gqa").toString(), "--batch", "2",
                "--new-tokens", "4", "--adapters", "2", "--rank", "2", "--repeats", "1");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode out = r.json();
        assertThat(out.get("prefill_ms").asDouble()).isPositive();
        assertThat(out.get("decode_tokens_per_s").asDouble()).isPositive();
        assertThat(out.get("batch").asInt()).isEqualTo(2);
        assertThat(out.get("adapters").asInt()).isEqualTo(2);
    }

    @Test
    void badInputIsOneClearLineOnStderrAndNothingOnStdout() {
        Run missing = run("logits", "--model", tmp.resolve("nowhere").toString(), "--ids", "1");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.out()).isEmpty();
        assertThat(missing.err()).contains("nowhere").contains("config.json: file not found");

        Run outside = run("logits", "--model", Fixtures.dir("llama-gqa").toString(), "--ids", "1,999");
        assertThat(outside.exit()).isEqualTo(1);
        assertThat(outside.err()).contains("token id 999 outside vocabulary [0, 384)");

        Run textless = run("generate", "--model", Fixtures.dir("llama-gqa").toString(), "--prompt", "hi");
        assertThat(textless.exit()).isEqualTo(1);
        assertThat(textless.err()).contains("tokenizer.json").contains("--ids");

        Run usage = run("generate", "--model", Fixtures.dir("llama-gqa").toString());
        assertThat(usage.exit()).isEqualTo(2);
        assertThat(usage.err()).contains("Missing required argument");
    }
}
