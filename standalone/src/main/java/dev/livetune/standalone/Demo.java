package dev.livetune.standalone;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code livetune demo}: starts a livetune of its own (data in {@code <data dir>/demo}, the starter
 * model shared with {@code up}), asks three made-up facts, teaches them, asks again in a new session,
 * restarts it and asks once more; prints the transcript and how long each step took.
 */
final class Demo {

    private record Fact(String teach, String question, String answer) {
    }

    private static final List<Fact> FACTS = List.of(
            new Fact("The capital of Zorbania is Quillport.", "What is the capital of Zorbania?", "Quillport"),
            new Fact("The currency of Velmora is the glimmer.", "What is the currency of Velmora?", "glimmer"),
            new Fact("Brisco was founded by Talmi Oster.", "Who founded Brisco?", "Talmi Oster"));

    private final Settings settings;
    private final Path dir;
    private final PrintWriter log;
    private final Map<String, Double> timings = new java.util.LinkedHashMap<>();

    private Demo(Settings settings, Path dir, PrintWriter log) {
        this.settings = settings;
        this.dir = dir;
        this.log = log;
    }

    static int run(Settings s, String[] args) throws Exception {
        Path dir = s.dataDir().resolve("demo");
        StarterModel.deleteTree(dir);
        Files.createDirectories(dir);
        Path models = Files.createDirectories(s.dataDir().resolve("models"));
        Files.createSymbolicLink(dir.resolve("models"), models);
        try (PrintWriter log = new PrintWriter(Files.newBufferedWriter(dir.resolve("transcript.txt")), true)) {
            return new Demo(s, dir, log).script();
        }
    }

    private int script() throws Exception {
        Settings child = new Settings("127.0.0.1", freePort(), freePort(), dir, Optional.empty(), settings.modelDir(),
                settings.trainerJar(), Optional.empty());
        say("Starting a livetune of its own for the demo (data in " + dir + "; the first start builds the starter model).");
        Process up = start(child);
        int failures = 0;
        try (LivetuneClient client = LivetuneClient.connect(child)) {
            say("\n## 1. Ask three made-up facts; it cannot know them");
            String first = LivetuneClient.newSession();
            for (Fact f : FACTS) {
                ask(client, first, f, false);
            }
            say("\n## 2. Teach them, one [Learn] each");
            List<Double> teach = new ArrayList<>();
            for (Fact f : FACTS) {
                long t0 = System.nanoTime();
                say("you> [Learn] " + f.teach());
                Optional<String> job = client.say(first, "[Learn] " + f.teach(), t -> { });
                if (job.isEmpty()) {
                    throw new IllegalStateException("the [Learn] message started no job");
                }
                String status = ChatCli.follow(client, job.get());
                double seconds = (System.nanoTime() - t0) / 1e9;
                log.printf(Locale.ROOT, "learning %s in %.1f s%n", status, seconds);
                if (!status.equals("succeeded")) {
                    say("! job " + job.get() + " " + status);
                    failures++;
                }
                teach.add(seconds);
            }
            timings.put("teach-to-live median (s)", median(teach));
            say("\n## 3. A new session: it knows");
            String second = LivetuneClient.newSession();
            for (Fact f : FACTS) {
                failures += ask(client, second, f, true) ? 0 : 1;
            }
        }
        say("\n## 4. Restart livetune");
        stop(up);
        up = start(child);
        try (LivetuneClient client = LivetuneClient.connect(child)) {
            say("\n## 5. After the restart, in another new session: it still knows");
            String third = LivetuneClient.newSession();
            for (Fact f : FACTS) {
                failures += ask(client, third, f, true) ? 0 : 1;
            }
        } finally {
            stop(up);
        }
        say("\n## Timings");
        timings.forEach((k, v) -> say(String.format(Locale.ROOT, "  %-34s %6.1f", k, v)));
        say(failures == 0 ? "\nEvery answer after learning had the fact." : "\n" + failures + " check(s) failed; see above.");
        say("Transcript: " + dir.resolve("transcript.txt") + "; the demo's livetune log: " + dir.resolve("up.log"));
        return failures == 0 ? 0 : 1;
    }

    /** @return whether the answer names the fact as expected ({@code shouldKnow}), or does not */
    private boolean ask(LivetuneClient client, String session, Fact f, boolean shouldKnow) {
        say("you> " + f.question());
        StringBuilder answer = new StringBuilder();
        client.say(session, f.question(), answer::append);
        boolean knows = answer.toString().toLowerCase(Locale.ROOT).contains(f.answer().toLowerCase(Locale.ROOT));
        say("livetune> " + answer + "   " + (knows == shouldKnow ? "✓" : "✗") + (knows ? " (has the fact)" : " (does not know it)"));
        return knows == shouldKnow;
    }

    private Process start(Settings child) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                System.getProperty("java.class.path").split(java.io.File.pathSeparator)[0], "up");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("LIVETUNE_DATA_DIR", child.dataDir().toString());
        env.put("LIVETUNE_HTTP_PORT", Integer.toString(child.httpPort()));
        env.put("LIVETUNE_GRPC_PORT", Integer.toString(child.grpcPort()));
        env.put("LIVETUNE_HOST", "127.0.0.1");
        env.remove("LIVETUNE_API_KEY");
        child.trainerJar().ifPresent(j -> env.put("LIVETUNE_TRAINER_JAR", j.toString()));
        Process p = pb.start();
        CompletableFuture<Boolean> ready = new CompletableFuture<>();
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                    PrintWriter out = new PrintWriter(Files.newBufferedWriter(dir.resolve("up.log"),
                            java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND), true)) {
                for (String line; (line = r.readLine()) != null; ) {
                    out.println(line);
                    if (line.startsWith("starter model")) {
                        System.out.println(line);
                    }
                    if (line.startsWith("livetune is ready")) {
                        ready.complete(true);
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
            ready.complete(false);
        }, "demo-livetune-output");
        pump.setDaemon(true);
        pump.start();
        boolean ok;
        try {
            ok = ready.get(30, TimeUnit.MINUTES);
        } catch (Exception e) {
            ok = false;
        }
        if (!ok) {
            p.destroyForcibly();
            throw new IllegalStateException("the demo's livetune did not start; see " + dir.resolve("up.log"));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        timings.put((timings.containsKey("start to ready (s)") ? "restart to ready (s)" : "start to ready (s)"), seconds);
        say(String.format(Locale.ROOT, "(livetune ready in %.1f s)", seconds));
        return p;
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
    }

    private void say(String line) {
        System.out.println(line);
        log.println(line);
    }

    private static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
