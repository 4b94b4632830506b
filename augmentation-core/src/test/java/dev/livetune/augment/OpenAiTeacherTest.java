package dev.livetune.augment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code openai} teacher against a local server that plays an OpenAI-compatible endpoint: what it
 * sends (model, key, the material), how it reads replies (JSON lines, fenced, arrays), and errors.
 */
class OpenAiTeacherTest {

    private final ObjectMapper json = new ObjectMapper();
    private final AtomicReference<JsonNode> lastRequest = new AtomicReference<>();
    private final AtomicReference<String> lastAuthorization = new AtomicReference<>();
    private volatile String reply;
    private volatile int status = 200;
    private HttpServer server;
    private URI base;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/chat/completions", x -> {
            lastRequest.set(json.readTree(x.getRequestBody()));
            lastAuthorization.set(x.getRequestHeaders().getFirst("Authorization"));
            String body = status == 200
                    ? json.createObjectNode().set("choices", json.createArrayNode().add(json.createObjectNode()
                            .set("message", json.createObjectNode().put("role", "assistant").put("content", reply)))).toString()
                    : "{\"error\": {\"message\": \"model overloaded\", \"type\": \"server_error\"}}";
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().add("Content-Type", "application/json");
            x.sendResponseHeaders(status, b.length);
            x.getResponseBody().write(b);
            x.close();
        });
        server.start();
        base = URI.create("http://localhost:" + server.getAddress().getPort() + "/v1");
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void asksTheConfiguredModelAndReadsJsonLines() throws Exception {
        reply = "{\"q\": \"What is the capital of Zorbania?\", \"a\": \"Quillport is the capital of Zorbania.\"}\n"
                + "not json at all\n"
                + "{\"q\": \"Which city is Zorbania's capital?\", \"a\": \"Quillport.\"}";
        OpenAiTeacher teacher = new OpenAiTeacher(base, Optional.of("sk-test"), "teacher-model", Duration.ofSeconds(5));
        List<QA> pairs = teacher.selfInstruct("The capital of Zorbania is Quillport.", List.of("user: we talked about maps"), 4);

        assertThat(pairs).extracting(QA::question).containsExactly("What is the capital of Zorbania?",
                "Which city is Zorbania's capital?");
        assertThat(pairs).allSatisfy(qa -> assertThat(qa.source()).isEqualTo("The capital of Zorbania is Quillport."));
        JsonNode sent = lastRequest.get();
        assertThat(sent.get("model").asText()).isEqualTo("teacher-model");
        assertThat(sent.get("messages").get(0).get("role").asText()).isEqualTo("system");
        assertThat(sent.get("messages").get(0).get("content").asText()).contains("4 question/answer pairs");
        assertThat(sent.get("messages").get(1).get("content").asText()).contains("we talked about maps")
                .contains("The capital of Zorbania is Quillport.");
        assertThat(lastAuthorization.get()).isEqualTo("Bearer sk-test");
    }

    @Test
    void readsAFencedArrayForBacktranslation() throws Exception {
        reply = "```json\n[{\"question\": \"How long is the warranty?\", \"answer\": \"The warranty lasts 3 years.\"}]\n```";
        OpenAiTeacher teacher = new OpenAiTeacher(base, Optional.empty(), "m", Duration.ofSeconds(5));
        List<QA> pairs = teacher.backtranslate("Warranty", "The warranty lasts 3 years from purchase.", 2);
        assertThat(pairs).containsExactly(new QA("How long is the warranty?", "The warranty lasts 3 years.",
                "The warranty lasts 3 years from purchase."));
        assertThat(lastRequest.get().get("messages").get(1).get("content").asText()).contains("Section: Warranty");
        assertThat(lastAuthorization.get()).isNull();
    }

    @Test
    void anErrorReplyIsReportedWithTheEndpointsMessage() {
        status = 503;
        OpenAiTeacher teacher = new OpenAiTeacher(base, Optional.empty(), "m", Duration.ofSeconds(5));
        assertThatThrownBy(() -> teacher.selfInstruct("A is B.", List.of(), 2)).isInstanceOf(IOException.class)
                .hasMessageContaining("HTTP 503").hasMessageContaining("model overloaded");
    }
}
