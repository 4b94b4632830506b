package dev.livetune.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.trace.TraceContext;
import jakarta.enterprise.inject.Typed;
import jakarta.inject.Singleton;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jboss.logging.Logger;

/**
 * Runs one training as a child process ({@code java -jar trainer.jar train ...}), relaying its
 * JSON-lines progress. Exit 75 (transient) and a kill by a signal (SIGKILL, SIGTERM: the OOM killer,
 * an operator ending the process) are retried — the trainer resumes from its checkpoint — up to
 * {@code trainer-retries} times; 64 (invalid input) and anything else fail the job with the
 * trainer's own message. A cancelled job kills the process.
 */
@Singleton
@Typed(LocalTrainingLauncher.class)
public class LocalTrainingLauncher implements TrainingLauncher {

    private static final Logger LOG = Logger.getLogger(LocalTrainingLauncher.class);

    private final OrchestratorConfig config;
    private final ObjectMapper json = new ObjectMapper();

    /**
     * Ends a trainer left running by an orchestrator that died (a child outlives its parent), so
     * the resumed job's run does not race it; the new run resumes from its last checkpoint.
     */
    public static void killOrphan(long pid) {
        java.util.Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isPresent() && h.get().isAlive()
                && h.get().info().commandLine().map(c -> c.contains("train")).orElse(false)) {
            LOG.infof("ending trainer %d left by an earlier run of this job", pid);
            h.get().destroyForcibly();
            h.get().onExit().join();
        }
    }

    LocalTrainingLauncher(OrchestratorConfig config) {
        this.config = config;
    }

    /**
     * @param progress told each progress line worth showing (about every tenth of the steps)
     * @param cancel   polled while it runs
     * @throws JobFailure when the trainer fails for good, or the job was cancelled
     */
    @Override
    public void train(Run run, Progress progress, BooleanSupplier cancel, java.util.function.LongConsumer started) {
        String[] error = {"see the trainer's output"};
        for (int attempt = 0; ; attempt++) {
            int code = once(run, progress, cancel, error, started);
            if (code == 0) {
                return;
            }
            if (retriable(code) && attempt < config.trainerRetries()) {
                progress.message(code == 75 ? "Training interrupted (transient); resuming from the last checkpoint"
                        : "The trainer was killed (signal " + (code - 128) + "); resuming from the last checkpoint");
                continue;
            }
            throw new JobFailure("training failed (trainer exit " + code + "): " + error[0]);
        }
    }

    /** 75, or the exit status Java reports for a process ended by SIGKILL (137) or SIGTERM (143). */
    private static boolean retriable(int code) {
        return code == 75 || code == 128 + 9 || code == 128 + 15;
    }

    private int once(Run run, Progress progress, BooleanSupplier cancel, String[] error,
            java.util.function.LongConsumer started) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                config.trainerJar().toString(), "train", "--base", run.base().toString(), "--data", run.data().toString(),
                "--out", run.out().toString(), "--probes", run.probes().toString(),
                "--threads", Integer.toString(config.trainerThreads())));
        if (run.replay() != null) {
            cmd.addAll(List.of("--replay", run.replay().toString()));
        }
        if (run.parentAdapter() != null) {
            cmd.addAll(List.of("--parent-adapter", run.parentAdapter().toString()));
        }
        if (run.hyper() != null) {
            cmd.addAll(List.of("--config", run.hyper().toString()));
        }
        try {
            ProcessBuilder builder = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
            trace(builder.environment());
            Process p = builder.start();
            started.accept(p.pid());
            Thread reader = new Thread(() -> relay(p, progress, error), "trainer-progress");
            reader.setDaemon(true);
            reader.start();
            long deadline = System.nanoTime() + config.trainingTimeout().toNanos();
            while (!p.waitFor(200, TimeUnit.MILLISECONDS)) {
                if (cancel.getAsBoolean()) {
                    p.destroyForcibly().waitFor();
                    throw new JobFailure("cancelled during training");
                }
                if (System.nanoTime() > deadline) {
                    p.destroyForcibly().waitFor();
                    throw new JobFailure("training took longer than " + config.trainingTimeout());
                }
            }
            reader.join(5000);
            return p.exitValue();
        } catch (IOException e) {
            throw new JobFailure("cannot start the trainer (" + config.trainerJar() + "): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JobFailure("interrupted");
        }
    }

    /** The trainer's span joins the job's trace (the training phase is current here) and goes where configured. */
    private void trace(java.util.Map<String, String> env) {
        String parent = TraceContext.current();
        if (parent != null) {
            env.put(TraceContext.ENV, parent);
        }
        config.trainerOtlpEndpoint().ifPresent(endpoint -> {
            env.put("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint);
            env.putIfAbsent("OTEL_SERVICE_NAME", "livetune-trainer");
        });
    }

    private void relay(Process p, Progress progress, String[] error) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            int lastTenth = -1;
            while ((line = in.readLine()) != null) {
                JsonNode e;
                try {
                    e = json.readTree(line);
                } catch (IOException ex) {
                    continue;
                }
                try {
                    switch (e.path("event").asText()) {
                        case "step" -> {
                            int tenth = e.get("step").asInt() * 10 / Math.max(1, e.get("total_steps").asInt());
                            if (tenth != lastTenth) {
                                lastTenth = tenth;
                                progress.step(e.get("step").asInt(), e.get("total_steps").asInt(), e.get("loss").asDouble());
                            }
                        }
                        case "resume" -> progress.message("Resumed training at step " + e.get("step").asInt());
                        case "error" -> error[0] = e.path("message").asText();
                        default -> {
                        }
                    }
                } catch (RuntimeException notRecorded) {
                    // Progress is news, not state (Redis away, say): the trainer's output is read on, or it would block.
                    LOG.debugf("trainer progress not recorded: %s", notRecorded);
                }
            }
        } catch (IOException e) {
            LOG.debug("trainer output ended", e);
        }
    }
}
