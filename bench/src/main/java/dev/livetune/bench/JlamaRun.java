package dev.livetune.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the Jlama peer ({@code bench/jlama/run.sh}, a Java 25 program of its own) as a child
 * process and reads its JSON line. Jlama needs a newer JDK than this build, hence the process.
 */
final class JlamaRun {

    private JlamaRun() {
    }

    /** @return Jlama's median batch-1 decode tokens/s over 3 runs after its own warm-up */
    static double decodeTokensPerSecond(Path script, Path model, int promptTokens, int newTokens, int threads,
            boolean panama) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("bash", script.toString(), model.toString(),
                "--prompt-tokens", Integer.toString(promptTokens), "--new-tokens", Integer.toString(newTokens),
                "--threads", Integer.toString(threads), "--repeats", "3", "--warmup", "2",
                "--ops", panama ? "panama" : "native"));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("Jlama run failed (exit " + p.exitValue() + "): " + String.join(" ", cmd));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for Jlama", e);
        }
        JsonNode json = new ObjectMapper().readTree(out.substring(out.lastIndexOf('\n') + 1));
        return json.get("decode_tokens_per_s_median").asDouble();
    }
}
