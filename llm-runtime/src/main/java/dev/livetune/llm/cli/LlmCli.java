package dev.livetune.llm.cli;

import dev.livetune.llm.model.ModelFormatException;
import dev.livetune.llm.tokenizer.TokenizerException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java -jar llm-runtime-cli.jar <command>}: parity checks, generation and benchmarks on a
 * Hugging Face model directory. Results go to stdout as one JSON object; logs and errors to stderr.
 */
@Command(name = "llm-runtime", mixinStandardHelpOptions = true, version = "livetune llm-runtime 0.1",
        description = "Run Hugging Face Llama/Qwen2/Qwen3 models with LoRA adapters on PyTorch (DJL).",
        subcommands = {LogitsCommand.class, GenerateCommand.class, InitModelCommand.class,
                BenchDecodeCommand.class, BenchMemoryCommand.class})
public final class LlmCli {

    public static void main(String[] args) {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        // DJL probes for CUDA even with the CPU engine; on a machine with a CUDA toolkit but no GPU
        // that probe warns on every call. It is noise for a CPU build.
        System.setProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", "off");
        System.exit(commandLine().execute(args));
    }

    /** @return the command line, with errors in model files reported as one line on stderr */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new LlmCli());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof ModelFormatException || e instanceof TokenizerException
                    || e instanceof IllegalArgumentException) {
                cmd.getErr().println("error: " + e.getMessage());
                return 1;
            }
            throw e;
        });
        return cli;
    }
}
