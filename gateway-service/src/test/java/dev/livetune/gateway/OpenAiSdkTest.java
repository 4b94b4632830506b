package dev.livetune.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The official {@code openai} npm SDK (version pinned in src/test/node/package.json, installed into
 * target/ by this test) as the client: models, chat with and without streaming, a file upload, and
 * creating, listing, retrieving a learn job and reading its events.
 */
@QuarkusTest
@QuarkusTestResource(GatewayStack.class)
class OpenAiSdkTest {

    @Test
    void theOfficialSdkWorksAgainstTheGateway() throws Exception {
        Path work = Path.of("target/node");
        Files.createDirectories(work);
        for (String f : List.of("package.json", "sdk-check.mjs")) {
            Files.copy(Path.of("src/test/node", f), work.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        if (!Files.isExecutable(work.resolve("node_modules/.bin/node"))) {
            run(work, List.of("npm", "install", "--no-audit", "--no-fund", "--loglevel=error"), null, 300);
        }
        Path doc = work.resolve("facts.md");
        Files.writeString(doc, "# Zorbania\n\nThe capital of Zorbania is Quillport.\n");
        String tenant = Keys.tenant();
        String key = Keys.keyFor(tenant);
        String output = run(work, List.of(work.resolve("node_modules/.bin/node").toAbsolutePath().toString(), "sdk-check.mjs"), new String[] {"OPENAI_BASE_URL=http://localhost:8181/v1",
                "OPENAI_API_KEY=" + key, "DOC=" + doc.toAbsolutePath()}, 120);
        JsonNode r = new ObjectMapper().readTree(output.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow());

        assertThat(r.get("models")).extracting(JsonNode::asText).contains("livetune-base", "default");
        assertThat(r.at("/chat/object").asText()).isEqualTo("chat.completion");
        assertThat(r.at("/chat/usage/completion_tokens").asInt()).isBetween(1, 8);
        assertThat(r.at("/stream/text").asText()).isEqualTo(r.at("/chat/content").asText());
        assertThat(r.at("/stream/usage/completion_tokens").asInt()).isEqualTo(r.at("/chat/usage/completion_tokens").asInt());
        assertThat(r.at("/file/object").asText()).isEqualTo("file");
        assertThat(r.at("/file/filename").asText()).isEqualTo("facts.md");
        assertThat(r.at("/file/bytes").asLong()).isEqualTo(Files.size(doc));
        assertThat(r.at("/job/object").asText()).isEqualTo("fine_tuning.job");
        assertThat(r.at("/job/status").asText()).isEqualTo("queued");
        assertThat(r.at("/job/trainingFile").asText()).isEqualTo(r.at("/file/id").asText());
        assertThat(r.at("/job/listed")).extracting(JsonNode::asText).contains(r.at("/job/id").asText());
        assertThat(r.at("/job/retrieved").asText()).isEqualTo(r.at("/job/id").asText());
        assertThat(r.at("/job/events")).isNotEmpty();
        assertThat(r.at("/notFound/status").asInt()).isEqualTo(404);
        assertThat(r.at("/notFound/code").asText()).isEqualTo("model_not_found");
        // Issue 19 #18: refused before the body was read, the SDK saw a connection error instead of the status.
        assertThat(r.at("/tooLarge/status").asInt()).as("a 2 MB chat: " + r.get("tooLarge")).isEqualTo(413);
        assertThat(r.at("/tooLarge/code").asText()).isEqualTo("request_too_large");
        assertThat(r.at("/strangerUpload/status").asInt()).as("an 11 MB upload with an unknown key: " + r.get("strangerUpload"))
                .isEqualTo(401);
        assertThat(r.at("/strangerUpload/code").asText()).isEqualTo("invalid_api_key");
    }

    private static String run(Path dir, List<String> command, String[] env, int seconds) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        if (env != null) {
            for (String e : env) {
                int eq = e.indexOf('=');
                pb.environment().put(e.substring(0, eq), e.substring(eq + 1));
            }
        }
        File log = dir.resolve(command.get(0) + ".log").toFile();
        Process p = pb.redirectOutput(log).start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in " + seconds + " s");
        }
        String output = Files.readString(log.toPath(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(String.join(" ", command) + " (Node.js and npm must be installed)\n" + output).isZero();
        return output;
    }
}
