package dev.livetune.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livetune.api.chat.v1.AdapterVersions;
import dev.livetune.api.chat.v1.ListAdaptersResponse;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code livetune chat}: a terminal chat with the running livetune. Answers stream as they are
 * generated; {@code [Learn] …} starts a learn job, followed with a progress bar until the adapter is
 * live; slash commands upload documents, list jobs and adapters, roll back and start a new session.
 */
final class ChatCli {

    private static final String HELP = """
              [Learn] FACT      teach it (e.g. [Learn] The capital of Zorbania is Quillport.)
              [Forget] WHAT     make it forget what it learned about that (e.g. [Forget] Zorbania)
              /upload FILE      learn a document (Markdown, text or PDF)
              /jobs             learn jobs, newest first
              /adapters         adapter versions and which one is live
              /rollback VERSION make an earlier version live again
              /new              start a new session (it forgets the conversation, not what it learned)
              /quit             leave (livetune keeps running)""";

    private ChatCli() {
    }

    static int run(Settings s, String[] args) throws Exception {
        try (LivetuneClient client = LivetuneClient.connect(s)) {
            String session = LivetuneClient.newSession();
            System.out.println("livetune chat at " + s.httpUrl() + " (session " + session + "). /help lists commands.");
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            while (true) {
                System.out.print("\nyou> ");
                System.out.flush();
                String line = in.readLine();
                if (line == null) {
                    System.out.println();
                    return 0;
                }
                line = line.strip();
                if (line.isEmpty()) {
                    continue;
                }
                try {
                    if (line.startsWith("/")) {
                        String[] cmd = line.split("\\s+", 2);
                        switch (cmd[0]) {
                            case "/quit", "/exit" -> {
                                return 0;
                            }
                            case "/help" -> System.out.println(HELP);
                            case "/new" -> {
                                session = LivetuneClient.newSession();
                                System.out.println("new session " + session);
                            }
                            case "/upload" -> upload(client, cmd.length > 1 ? cmd[1] : "");
                            case "/jobs" -> jobs(client.jobs());
                            case "/adapters" -> adapters(client.adapters());
                            case "/rollback" -> rollback(client, cmd.length > 1 ? cmd[1] : "");
                            default -> System.out.println("unknown command " + cmd[0] + "; /help lists them");
                        }
                        continue;
                    }
                    System.out.print("livetune> ");
                    Optional<String> job = client.say(session, line, t -> {
                        System.out.print(t);
                        System.out.flush();
                    });
                    System.out.println();
                    if (job.isPresent()) {
                        follow(client, job.get());
                    }
                } catch (Exception e) {
                    System.out.println("\n! " + LivetuneClient.explain(e));
                }
            }
        }
    }

    /** Shows a learn job's progress until it ends. */
    static String follow(LivetuneClient client, String jobId) {
        ProgressBar bar = ProgressBar.onConsole("learning");
        String status = client.follow(jobId, p -> bar.update(p.fraction(), abbreviate(p.message())));
        bar.finish(switch (status) {
            case "succeeded" -> "done: it is live; ask away";
            case "failed" -> "failed (see /jobs, or the job's events at /v1/fine_tuning/jobs/" + jobId + "/events)";
            default -> status;
        });
        return status;
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    private static void upload(LivetuneClient client, String file) throws Exception {
        Path p = Path.of(file.strip());
        if (file.isBlank() || !Files.isRegularFile(p)) {
            System.out.println("usage: /upload FILE (an existing Markdown, text or PDF file)");
            return;
        }
        String job = client.learnFile(p);
        System.out.println("learning " + p.getFileName() + " (job " + job + ")");
        follow(client, job);
    }

    private static void jobs(JsonNode list) {
        if (list.path("data").isEmpty()) {
            System.out.println("no learn jobs yet");
        }
        for (JsonNode j : list.path("data")) {
            System.out.printf(Locale.ROOT, "%-40s %-10s %s  %s%n", j.path("id").asText(), j.path("status").asText(),
                    Instant.ofEpochSecond(j.path("created_at").asLong()), j.path("fine_tuned_model").asText(""));
        }
    }

    private static void adapters(ListAdaptersResponse r) {
        System.out.println("base model: " + r.getBaseModel());
        for (AdapterVersions a : r.getAdaptersList()) {
            System.out.println(a.getAlias() + ": versions " + (a.getVersionsCount() == 0 ? "none" : a.getVersionsList())
                    + ", live " + (a.getLiveVersion() == 0 ? "none (the base model answers)" : "v" + a.getLiveVersion()));
        }
    }

    private static void rollback(LivetuneClient client, String version) {
        int v;
        try {
            v = Integer.parseInt(version.strip().replaceFirst("^v", ""));
        } catch (NumberFormatException e) {
            System.out.println("usage: /rollback VERSION (a number from /adapters)");
            return;
        }
        System.out.println("live now: " + client.rollback(v));
    }
}
