package dev.livetune.orchestrator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * A local HTTP server that plays SearXNG's JSON API and serves the pages it finds: a page about
 * Zorbania, a redirect to the cloud metadata address, and a result on a private address.
 * {@code allow} (init arg) puts hosts on the orchestrator's fetch allowlist.
 */
public class WebServer implements QuarkusTestResourceLifecycleManager {

    static final int PORT = 8491;
    private HttpServer server;
    private String allow = "";

    @Override
    public void init(Map<String, String> args) {
        allow = args.getOrDefault("allow", "");
    }

    @Override
    public Map<String, String> start() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), PORT), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/search", x -> {
            String q = x.getRequestURI().getRawQuery();
            String url = q.contains("metadata") ? "http://localhost:" + PORT + "/to-metadata"
                    : q.contains("private") ? "http://10.0.0.5/page" : "http://localhost:" + PORT + "/zorbania.html";
            send(x, 200, "application/json", "{\"query\": \"q\", \"results\": [{\"url\": \"" + url + "\", \"title\": \"t\"}]}");
        });
        server.createContext("/zorbania.html", x -> send(x, 200, "text/html", "<html><body><nav>Home</nav><h1>Zorbania</h1>"
                + "<p>The capital of Zorbania is Quillport.</p></body></html>"));
        server.createContext("/to-metadata", x -> {
            x.getResponseHeaders().add("Location", "http://169.254.169.254/latest/meta-data/");
            x.sendResponseHeaders(302, -1);
            x.close();
        });
        server.start();
        Map<String, String> config = new HashMap<>();
        config.put("livetune.orchestrator.searxng-url", "http://localhost:" + PORT + "/");
        if (!allow.isEmpty()) {
            config.put("livetune.orchestrator.fetch-allowlist", allow);
        }
        return config;
    }

    private static void send(HttpExchange x, int status, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", type);
        x.sendResponseHeaders(status, b.length);
        x.getResponseBody().write(b);
        x.close();
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop(0);
        }
    }
}
