package dev.livetune.augment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Server-side fetching never reaches inside: loopback, private, link-local (metadata), CGNAT,
 * IPv6 unique-local and v4-mapped forms are refused after resolution and on every redirect,
 * unless the host is allowlisted; only http(s); bodies are bounded.
 */
class SafeFetcherTest {

    private HttpServer server;
    private int port;
    private final java.util.concurrent.atomic.AtomicInteger hits = new java.util.concurrent.atomic.AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/page", x -> {
            hits.incrementAndGet();
            byte[] body = "<html><body><p>Quillport is the capital of Zorbania.</p></body></html>".getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().add("Content-Type", "text/html");
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        server.createContext("/to-metadata", x -> {
            x.getResponseHeaders().add("Location", "http://169.254.169.254/latest/meta-data/");
            x.sendResponseHeaders(302, -1);
            x.close();
        });
        server.createContext("/to-page", x -> {
            x.getResponseHeaders().add("Location", "/page");
            x.sendResponseHeaders(301, -1);
            x.close();
        });
        server.createContext("/drip", x -> {
            hits.incrementAndGet();
            x.sendResponseHeaders(200, 40);
            try {
                for (int i = 0; i < 40; i++) {
                    x.getResponseBody().write('a');
                    x.getResponseBody().flush();
                    Thread.sleep(100);
                }
            } catch (InterruptedException | java.io.IOException e) {
                // the client gave up
            }
            x.close();
        });
        server.createContext("/big", x -> {
            x.sendResponseHeaders(200, 10_000);
            x.getResponseBody().write(new byte[10_000]);
            x.close();
        });
        server.start();
        port = server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void internalAddressesAreRefusedByDefault() {
        SafeFetcher fetcher = new SafeFetcher(Set.of(), 1 << 20, Duration.ofSeconds(5));
        for (String url : new String[] {"http://127.0.0.1:" + port + "/page", "http://localhost:" + port + "/page",
                "http://[::1]:" + port + "/page", "http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/",
                "http://192.168.0.10/", "http://172.16.5.4/", "http://100.64.1.1/", "http://[fd00::1]/",
                "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/"}) {
            assertThatThrownBy(() -> fetcher.fetch(URI.create(url))).as(url).isInstanceOf(FetchRefusedException.class);
        }
        assertThatThrownBy(() -> fetcher.fetch(URI.create("file:///etc/passwd"))).isInstanceOf(FetchRefusedException.class)
                .hasMessageContaining("only http and https");
        assertThatThrownBy(() -> fetcher.fetch(URI.create("http://no-such-host.invalid/")))
                .isInstanceOf(FetchRefusedException.class).hasMessageContaining("does not resolve");
    }

    @Test
    void anAllowlistedHostIsFetchedButARedirectToTheMetadataAddressIsNot() throws Exception {
        SafeFetcher fetcher = new SafeFetcher(Set.of("localhost"), 1 << 20, Duration.ofSeconds(5));
        SafeFetcher.Page page = fetcher.fetch(URI.create("http://localhost:" + port + "/page"));
        assertThat(new String(page.body(), StandardCharsets.UTF_8)).contains("Quillport");
        assertThat(fetcher.fetch(URI.create("http://localhost:" + port + "/to-page")).url().getPath()).isEqualTo("/page");
        assertThatThrownBy(() -> fetcher.fetch(URI.create("http://localhost:" + port + "/to-metadata")))
                .isInstanceOf(FetchRefusedException.class).hasMessageContaining("169.254.169.254")
                .hasMessageContaining("link-local");
    }

    /** Host names are judged by what they resolve to (the test JVM resolves through src/test/resources/hosts). */
    @Test
    void aHostNameIsJudgedByWhatItResolvesTo() throws Exception {
        SafeFetcher defaults = new SafeFetcher(Set.of(), Set.of(80, port), 1 << 20, Duration.ofSeconds(5), InetAddress::getAllByName);
        assertThatThrownBy(() -> defaults.fetch(URI.create("http://intranet.example/wiki")))
                .isInstanceOf(FetchRefusedException.class).hasMessageContaining("intranet.example")
                .hasMessageContaining("10.0.0.5").hasMessageContaining("private");
        assertThatThrownBy(() -> defaults.fetch(URI.create("http://docs.test:" + port + "/page")))
                .isInstanceOf(FetchRefusedException.class).hasMessageContaining("127.0.0.1").hasMessageContaining("loopback");
        SafeFetcher allowing = new SafeFetcher(Set.of("docs.test"), 1 << 20, Duration.ofSeconds(5));
        assertThat(new String(allowing.fetch(URI.create("http://docs.test:" + port + "/page")).body(), StandardCharsets.UTF_8))
                .contains("Quillport");
    }

    @Test
    void bodiesAreCutAtTheLimit() throws Exception {
        SafeFetcher fetcher = new SafeFetcher(Set.of("localhost"), 4096, Duration.ofSeconds(5));
        SafeFetcher.Page page = fetcher.fetch(URI.create("http://localhost:" + port + "/big"));
        assertThat(page.body()).hasSize(4096);
        assertThat(page.truncated()).isTrue();
    }

    @Test
    void publicAddressesPassTheCheck() throws Exception {
        assertThat(SafeFetcher.internal(InetAddress.getByName("93.184.216.34"))).isNull();
        assertThat(SafeFetcher.internal(InetAddress.getByName("2606:2800:220:1:248:1893:25c8:1946"))).isNull();
    }

    /** Issue 19 #11: these forms of internal addresses passed the check. */
    @Test
    void internalAddressesInsideOtherFormsAreRefused() throws Exception {
        for (String a : new String[] {"::127.0.0.1", "64:ff9b::a9fe:a9fe", "::ffff:0:7f00:1", "198.18.0.1", "198.19.255.1",
                "2002:7f00:1::", "2002:a9fe:a9fe::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "64:ff9b:1::a00:1", "192.0.0.8",
                "2001:db8::1"}) {
            assertThat(SafeFetcher.internal(InetAddress.getByName(a))).as(a).isNotNull();
        }
        assertThat(SafeFetcher.internal(InetAddress.getByName("2002:5db8:d822::1"))).as("6to4 of a public address").isNull();
    }

    /** Issue 19 #11: any port was fetched. */
    @Test
    void onlyWebPortsAreFetchedFromHostsNotOnTheAllowlist() {
        SafeFetcher fetcher = new SafeFetcher(Set.of(), 1 << 20, Duration.ofSeconds(5));
        assertThatThrownBy(() -> fetcher.fetch(URI.create("http://93.184.216.34:6379/"))).isInstanceOf(FetchRefusedException.class)
                .hasMessageContaining("port 6379");
        assertThatThrownBy(() -> fetcher.fetch(URI.create("https://93.184.216.34:8443/"))).isInstanceOf(FetchRefusedException.class)
                .hasMessageContaining("port 8443");
    }

    /** Issue 19 #11: a body had no deadline, so a server that drips a byte at a time held a worker for as long as it liked. */
    @Test
    void aDrippingBodyIsCutOffAtTheDeadline() {
        // the body takes 4 s to arrive; the fetch gives up after 1 s, so the whole body is never seen
        SafeFetcher fetcher = new SafeFetcher(Set.of("localhost"), 1 << 20, Duration.ofSeconds(1));
        assertThatThrownBy(() -> fetcher.fetch(URI.create("http://localhost:" + port + "/drip")))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("took longer than");
    }

    /**
     * Issue 19 #11: the host was resolved for the check and again by the HTTP client to connect, so a
     * DNS server answering a public address and then a loopback one (rebinding) reached inside. Now
     * the connection uses the one vetted answer.
     */
    @Test
    void aRebindingHostIsAskedOnceAndTheConnectionUsesThatAnswer() {
        java.util.concurrent.atomic.AtomicInteger lookups = new java.util.concurrent.atomic.AtomicInteger();
        SafeFetcher fetcher = new SafeFetcher(Set.of(), Set.of(port), 1 << 20, Duration.ofSeconds(1), host -> new InetAddress[] {
                InetAddress.getByName(lookups.getAndIncrement() == 0 ? "93.184.216.34" : "127.0.0.1")});
        assertThatThrownBy(() -> fetcher.fetch(URI.create("http://rebind.test:" + port + "/page")))
                .isInstanceOf(java.io.IOException.class);
        assertThat(hits.get()).as("requests that reached the local server").isZero();
        assertThat(lookups.get()).isEqualTo(1);
    }
}
