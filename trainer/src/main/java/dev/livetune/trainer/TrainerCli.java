package dev.livetune.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.artifact.ArtifactLayout;
import dev.livetune.llm.model.ModelFormatException;
import dev.livetune.llm.tokenizer.TokenizerException;
import dev.livetune.llm.train.InvalidTrainingInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code trainer train ...}: the entrypoint a Kubernetes Job or the local launcher runs. */
@Command(name = "trainer", mixinStandardHelpOptions = true, version = "livetune trainer 0.1.0",
        description = "Fine-tunes a LoRA adapter (or a whole small model) on chat samples.",
        subcommands = {TrainerCli.Train.class})
public final class TrainerCli {

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit status (see {@link ExitCodes}). */
    static int execute(String... args) {
        CommandLine cli = new CommandLine(new TrainerCli());
        cli.setParameterExceptionHandler((e, a) -> {
            e.getCommandLine().getErr().println("trainer: " + e.getMessage());
            e.getCommandLine().usage(e.getCommandLine().getErr());
            return ExitCodes.INVALID_INPUT;
        });
        return cli.execute(args);
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = {"Trains on chat samples (OpenAI fine-tuning JSONL) and writes a PEFT adapter (or a whole"
                    + " model with full_finetune) plus " + ArtifactLayout.ADAPTER_MANIFEST + " and, with --probes, "
                    + ArtifactLayout.EVAL_REPORT + ".",
                    "Progress: JSON lines on stdout. Logs: stderr. Exit: 0 done, 64 invalid input (never retry),"
                    + " 70 internal error, 75 transient failure (retry: it resumes from the last checkpoint)."})
    static final class Train implements Callable<Integer> {

        @Option(names = "--base", required = true, paramLabel = "DIR", description = "Hugging Face model directory")
        Path base;

        @Option(names = "--data", required = true, paramLabel = "FILE", description = "training samples, chat JSONL")
        Path data;

        @Option(names = "--out", required = true, paramLabel = "DIR",
                description = "output directory; must not exist (written as DIR.partial, renamed when complete)")
        Path out;

        @Option(names = "--parent-adapter", paramLabel = "DIR", description = "PEFT adapter to continue training")
        Path parentAdapter;

        @Option(names = "--replay", paramLabel = "FILE", description = "earlier samples to mix in, chat JSONL")
        Path replay;

        @Option(names = "--probes", paramLabel = "FILE",
                description = "probe questions, JSONL {\"question\",\"expect\",\"kind\":\"new\"|\"retention\"}")
        Path probes;

        @Option(names = "--config", paramLabel = "FILE", description = "hyper.json (Hugging Face / PEFT names)")
        Path config;

        @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
                description = "PyTorch threads (default: every core)")
        int threads;

        @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "auto",
                description = "auto (CUDA when PyTorch sees a GPU, else CPU), cpu, cuda or cuda:N")
        String device;

        @Override
        public Integer call() {
            try (TrainerTrace trace = TrainerTrace.start(System.getenv(), "train")) {
                trace.span().setAttribute("livetune.trainer.out", out.toString());
                Progress progress = new Progress(new ObjectMapper(), System.out, System.err, trace.span());
                try {
                    new TrainingJob(new TrainingJob.Request(base, data, out, parentAdapter, replay, probes, config,
                            threads, device), progress).run();
                    return ExitCodes.OK;
                } catch (InvalidTrainingInputException | ModelFormatException | TokenizerException
                        | dev.livetune.llm.engine.Devices.UnavailableDeviceException e) {
                    return fail(progress, trace, ExitCodes.INVALID_INPUT, "invalid input", e);
                } catch (IOException | UncheckedIOException | OutOfMemoryError e) {
                    return fail(progress, trace, ExitCodes.TRANSIENT, "transient failure", e);
                } catch (RuntimeException e) {
                    e.printStackTrace();
                    return fail(progress, trace, ExitCodes.SOFTWARE, "internal error", e);
                }
            }
        }

        private static int fail(Progress progress, TrainerTrace trace, int code, String what, Throwable e) {
            String message = e instanceof OutOfMemoryError
                    ? "out of memory (" + e.getMessage() + "); retry with a larger heap (-Xmx) or memory limit"
                    : e.getMessage() == null ? e.toString() : e.getMessage();
            trace.failed(code, what + ": " + message);
            progress.event("error", o -> {
                o.put("exit_code", code);
                o.put("message", message);
            });
            progress.log("%s: %s", what, message);
            return code;
        }
    }
}
