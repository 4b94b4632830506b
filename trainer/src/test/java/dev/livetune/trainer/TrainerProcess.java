package dev.livetune.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.awaitility.core.ConditionTimeoutException;

/** {@code java -jar trainer.jar ...} as a child process, the way a Job or the local launcher runs it. */
final class TrainerProcess {

    static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final List<JsonNode> events = new CopyOnWriteArrayList<>();
    private final StringBuffer stderr = new StringBuffer();
    private final List<String> badLines = new CopyOnWriteArrayList<>();
    private final Thread outReader;
    private final Thread errReader;

    private TrainerProcess(Process process) {
        this.process = process;
        this.outReader = daemon(() -> read(process.getInputStream(), line -> {
            try {
                events.add(JSON.readTree(line));
            } catch (IOException e) {
                badLines.add(line);
            }
        }));
        this.errReader = daemon(() -> read(process.getErrorStream(), line -> stderr.append(line).append('\n')));
    }

    private static Thread daemon(Runnable body) {
        Thread t = new Thread(body, "trainer-output");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Starts the trainer with {@code args} (and JVM options before {@code -jar}). */
    static TrainerProcess start(List<String> jvmOptions, String... args) {
        String jar = System.getProperty("trainer.jar", "target/trainer.jar");
        assertThat(Path.of(jar)).as("the trainer jar (built by `package`)").isRegularFile();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(jar);
        command.addAll(List.of(args));
        try {
            return new TrainerProcess(new ProcessBuilder(command).start());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static TrainerProcess start(String... args) {
        return start(List.of(), args);
    }

    /** Runs to the end (at most 5 minutes) and returns the exit status. */
    int exitCode() {
        try {
            if (!process.waitFor(5, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new AssertionError("trainer did not finish in 5 minutes; stderr:\n" + stderr);
            }
            outReader.join(10_000);
            errReader.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        assertThat(badLines).as("every stdout line is JSON").isEmpty();
        return process.exitValue();
    }

    /** Waits until an event matches, then kills the process at once (SIGKILL, like an evicted pod). */
    void killAfter(Predicate<JsonNode> event) throws InterruptedException {
        try {
            await("the trainer's event").dontCatchUncaughtExceptions().atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofMillis(20)).until(() -> {
                        if (events.stream().anyMatch(event)) {
                            return true;
                        }
                        if (!process.isAlive()) {
                            throw new AssertionError("trainer ended before the awaited event; stderr:\n" + stderr);
                        }
                        return false;
                    });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("awaited event never came; stderr:\n" + stderr, e);
        }
        process.destroyForcibly().waitFor();
    }

    List<JsonNode> events() {
        return events;
    }

    List<JsonNode> events(String type) {
        return events.stream().filter(e -> e.path("event").asText().equals(type)).toList();
    }

    String stderr() {
        return stderr.toString();
    }

    private static void read(java.io.InputStream in, java.util.function.Consumer<String> line) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String s;
            while ((s = r.readLine()) != null) {
                line.accept(s);
            }
        } catch (IOException e) {
            // the process was killed
        }
    }

    static void write(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }
}
