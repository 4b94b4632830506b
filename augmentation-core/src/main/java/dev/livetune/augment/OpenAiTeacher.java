package dev.livetune.augment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * The {@code openai} teacher: any OpenAI-compatible chat completions endpoint (OpenAI, vLLM, a
 * llama.cpp server, another livetune gateway), given a base URL such as
 * {@code https://api.openai.com/v1}, an API key and a model name.
 */
public final class OpenAiTeacher extends PromptedTeacher {

    private final URI chatCompletions;
    private final Optional<String> apiKey;
    private final String model;
    private final Duration timeout;
    private final HttpClient client;
    private final ObjectMapper json = new ObjectMapper();

    public OpenAiTeacher(URI baseUrl, Optional<String> apiKey, String model, Duration timeout) {
        String base = baseUrl.toString();
        this.chatCompletions = URI.create(base.endsWith("/") ? base + "chat/completions" : base + "/chat/completions");
        this.apiKey = apiKey;
        this.model = model;
        this.timeout = timeout;
        this.client = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    @Override
    public String name() {
        return "openai";
    }

    @Override
    protected String complete(String system, String user) throws IOException, InterruptedException {
        ObjectNode body = json.createObjectNode();
        body.put("model", model);
        body.put("temperature", 0.7);
        body.put("max_tokens", 2048);
        ArrayNode messages = body.putArray("messages");
        messages.addObject().put("role", "system").put("content", system);
        messages.addObject().put("role", "user").put("content", user);
        HttpRequest.Builder request = HttpRequest.newBuilder(chatCompletions).timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        apiKey.ifPresent(k -> request.header("Authorization", "Bearer " + k));
        HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            JsonNode error = readOrNull(response.body());
            String message = error == null ? response.body() : error.path("error").path("message").asText(response.body());
            throw new IOException("the teacher endpoint answered HTTP " + response.statusCode() + ": "
                    + (message.length() > 300 ? message.substring(0, 300) : message));
        }
        JsonNode reply = readOrNull(response.body());
        JsonNode content = reply == null ? null : reply.path("choices").path(0).path("message").path("content");
        if (content == null || !content.isTextual()) {
            throw new IOException("the teacher endpoint's reply has no choices[0].message.content");
        }
        return content.asText();
    }

    private JsonNode readOrNull(String body) {
        try {
            return json.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }
}
