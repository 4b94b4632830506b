package dev.livetune.orchestrator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A local HTTP server that plays SearXNG's JSON API and serves the pages it finds: a page about
 * Zorbania (on the allowlisted {@code docs.test}, or on {@code localhost} when the query says
 * "loopback"), a redirect to the cloud metadata address, a result on a private address, and one on
 * {@code intranet.example}, a host name the tests' hosts file resolves to a private address.
 */
public class WebServer implements QuarkusTestResourceLifecycleManager {

    static final int PORT = 8491;
    private HttpServer server;
    @Override
    public Map<String, String> start() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), PORT), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/search", x -> {
            String q = x.getRequestURI().getRawQuery();
            String url = q.contains("metadata") ? "http://" + AugmentWorkers.ALLOWED_HOST + ":" + PORT + "/to-metadata"
                    : q.contains("private") ? "http://10.0.0.5/page"
                    : q.contains("intranet") ? "http://intranet.example/page"
                    : q.contains("loopback") ? "http://localhost:" + PORT + "/zorbania.html"
                    : "http://" + AugmentWorkers.ALLOWED_HOST + ":" + PORT + "/zorbania.html";
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
        return Map.of();
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
