package dev.livetune.augment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code SearchProvider} for a SearXNG instance's JSON API ({@code /search?q=...&format=json}).
 * The instance is the operator's (often in the cluster), so the call itself is not subject to the
 * fetch guard; every result page is, through {@link SafeFetcher}.
 */
public final class SearxngSearch implements SearchProvider {

    private final URI base;
    private final HttpClient client;
    private final Duration timeout;
    private final ObjectMapper json = new ObjectMapper();

    public SearxngSearch(URI base, Duration timeout) {
        this.base = base;
        this.timeout = timeout;
        this.client = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    @Override
    public List<URI> search(String query, int n) throws IOException, InterruptedException {
        URI uri = base.resolve("search?q=" + URLEncoder.encode(query, StandardCharsets.UTF_8) + "&format=json");
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("search answered HTTP " + r.statusCode());
        }
        List<URI> out = new ArrayList<>();
        for (JsonNode result : json.readTree(r.body()).path("results")) {
            if (out.size() >= n) {
                break;
            }
            try {
                out.add(URI.create(result.path("url").asText()));
            } catch (IllegalArgumentException e) {
                // skip a malformed URL
            }
        }
        return out;
    }
}
