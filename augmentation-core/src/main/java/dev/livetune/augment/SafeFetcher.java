package dev.livetune.augment;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.util.Timeout;

/**
 * Fetches web pages for search augmentation without letting a URL reach inside the platform.
 *
 * <p>Only {@code http} and {@code https}, on ports 80 and 443 unless configured otherwise. The
 * client's DNS resolver vets every address a host resolves to and the connection then uses exactly
 * those (one lookup: a DNS server that answers differently a moment later, rebinding, is not asked
 * again); a host is refused if any of its addresses is loopback, private (RFC 1918, IPv6
 * unique-local), link-local (the cloud metadata address 169.254.169.254 among them), carrier-grade
 * NAT, benchmarking (198.18/15), documentation, multicast, reserved or unspecified, including an IPv4
 * address inside an IPv6 one (v4-mapped, v4-compatible, v4-translated, NAT64, 6to4, Teredo).
 * Allowlisted hosts skip the address and port checks. Redirects are followed by hand, each one
 * judged again. A body is cut at {@code maxBytes}, and the whole fetch has a deadline
 * ({@code timeout}): a server that drips a byte at a time is cut off too.
 */
public final class SafeFetcher {

    /** A fetched page. */
    public record Page(URI url, String contentType, byte[] body, boolean truncated) {
    }

    /** The ports fetched from hosts not on the allowlist, unless configured otherwise. */
    public static final Set<Integer> DEFAULT_PORTS = Set.of(80, 443);

    private static final int MAX_REDIRECTS = 5;

    private final Set<String> allowlist;
    private final Set<Integer> ports;
    private final long maxBytes;
    private final Duration timeout;
    private final CloseableHttpClient client;

    /**
     * @param allowlist host names (lower case) that may resolve to internal addresses (tests, an in-cluster SearXNG)
     * @param maxBytes  largest body kept
     * @param timeout   for a whole fetch, redirects included
     */
    public SafeFetcher(Set<String> allowlist, long maxBytes, Duration timeout) {
        this(allowlist, DEFAULT_PORTS, maxBytes, timeout, SystemDefaultDnsResolver.INSTANCE::resolve);
    }

    /**
     * @param ports   the ports fetched from hosts not on the allowlist
     * @param resolve the DNS lookup (the system's; a test's, to play a rebinding server)
     */
    public SafeFetcher(Set<String> allowlist, Set<Integer> ports, long maxBytes, Duration timeout, Lookup resolve) {
        this.allowlist = Set.copyOf(allowlist);
        this.ports = Set.copyOf(ports);
        this.maxBytes = maxBytes;
        this.timeout = timeout;
        Timeout t = Timeout.of(timeout);
        this.client = HttpClients.custom()
                .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                        .setDnsResolver(new Vetting(resolve))
                        .setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(t).setSocketTimeout(t).build())
                        .build())
                .setDefaultRequestConfig(RequestConfig.custom().setResponseTimeout(t).build())
                .disableRedirectHandling().disableAutomaticRetries().disableCookieManagement()
                .setUserAgent("livetune-augment/0.1").build();
    }

    /** A DNS lookup. */
    @FunctionalInterface
    public interface Lookup {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    /**
     * @throws FetchRefusedException when the URL or a redirect is not allowed
     * @throws IOException           when the server cannot be reached, answers with an error or is too slow
     */
    public Page fetch(URI url) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        URI current = url;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            check(current);
            HttpGet get = new HttpGet(current);
            ClassicHttpResponse response;
            try {
                response = client.executeOpen(null, get, null);
            } catch (Refused e) {
                throw new FetchRefusedException(current + ": " + e.getMessage());
            }
            try {
                int status = response.getCode();
                Header location = response.getFirstHeader("Location");
                if (status >= 300 && status < 400 && location != null) {
                    current = current.resolve(location.getValue());
                    continue;
                }
                if (status >= 400) {
                    throw new IOException(current + " answered HTTP " + status);
                }
                HttpEntity entity = response.getEntity();
                byte[] body = entity == null ? new byte[0] : read(entity.getContent(), deadline, current);
                boolean truncated = body.length > maxBytes;
                if (truncated) {
                    body = Arrays.copyOf(body, (int) maxBytes);
                }
                Header type = response.getFirstHeader("Content-Type");
                return new Page(current, type == null ? "" : type.getValue(), body, truncated);
            } finally {
                drop(get, response);
            }
        }
        throw new FetchRefusedException(url + ": more than " + MAX_REDIRECTS + " redirects");
    }

    /**
     * Drops the connection without reading what is left of the body (closing the response alone
     * would drain it). What the close reports then is about a connection already gone: the page,
     * or the error on its way out, is what counts.
     */
    private static void drop(HttpGet get, ClassicHttpResponse response) {
        get.cancel();
        try {
            response.close();
        } catch (IOException e) {
            // the socket was closed by the cancel
        }
    }

    /** Reads up to one byte past {@code maxBytes}, and no later than the deadline. */
    private byte[] read(InputStream in, long deadline, URI url) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        long limit = Math.min(Integer.MAX_VALUE - 8, maxBytes + 1);
        while (out.size() < limit) {
            if (System.nanoTime() > deadline) {
                throw new IOException(url + ": the body took longer than " + timeout + " to arrive");
            }
            int n = in.read(buf, 0, (int) Math.min(buf.length, limit - out.size()));
            if (n < 0) {
                break;
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    /**
     * Refuses what must never be fetched, before any connection: the scheme, a missing host, a port
     * off the list. The addresses are judged when the connection resolves them ({@link Vetting}).
     */
    public void check(URI url) {
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new FetchRefusedException(url + ": only http and https URLs are fetched");
        }
        String host = url.getHost();
        if (host == null || host.isEmpty()) {
            throw new FetchRefusedException(url + ": no host");
        }
        host = host.toLowerCase(Locale.ROOT);
        if (allowlist.contains(host)) {
            return;
        }
        int port = url.getPort() != -1 ? url.getPort() : scheme.equals("https") ? 443 : 80;
        if (!ports.contains(port)) {
            throw new FetchRefusedException(url + ": port " + port + " is not fetched (only " + ports.stream().sorted().toList()
                    + ")");
        }
    }

    /** The connection's resolver: what it answers is what the connection uses, so it is judged here. */
    private final class Vetting implements DnsResolver {
        private final Lookup lookup;

        Vetting(Lookup lookup) {
            this.lookup = lookup;
        }

        @Override
        public InetAddress[] resolve(String host) throws UnknownHostException {
            String name = host.toLowerCase(Locale.ROOT);
            if (name.startsWith("[") && name.endsWith("]")) {
                name = name.substring(1, name.length() - 1);
            }
            InetAddress[] addresses;
            try {
                addresses = lookup.resolve(name);
            } catch (UnknownHostException e) {
                throw new Refused("host " + host + " does not resolve");
            }
            if (!allowlist.contains(name)) {
                for (InetAddress a : addresses) {
                    String why = internal(a);
                    if (why != null) {
                        throw new Refused(host + " resolves to " + a.getHostAddress() + ", a " + why
                                + " address; refused (add the host to the allowlist to permit it)");
                    }
                }
            }
            return addresses;
        }

        @Override
        public String resolveCanonicalHostname(String host) {
            return host;
        }
    }

    /** A host refused by {@link Vetting}, on its way out of the client. */
    private static final class Refused extends UnknownHostException {
        Refused(String message) {
            super(message);
        }
    }

    /** @return what kind of internal address this is, or null for a public one */
    static String internal(InetAddress a) {
        if (a.isLoopbackAddress()) {
            return "loopback";
        }
        if (a.isAnyLocalAddress()) {
            return "unspecified";
        }
        if (a.isLinkLocalAddress()) {
            return "link-local (cloud metadata)";
        }
        if (a.isSiteLocalAddress()) {
            return "private";
        }
        if (a.isMulticastAddress()) {
            return "multicast";
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            int third = b[2] & 0xff;
            if (first == 100 && second >= 64 && second <= 127) {
                return "carrier-grade NAT";
            }
            if (first == 198 && (second == 18 || second == 19)) {
                return "benchmarking";
            }
            if ((first == 192 && second == 0 && (third == 0 || third == 2)) || (first == 198 && second == 51 && third == 100)
                    || (first == 203 && second == 0 && third == 113)) {
                return "reserved (protocol assignments, documentation)";
            }
            if (first == 0 || first >= 240) {
                return "reserved";
            }
            return null;
        }
        if ((b[0] & 0xfe) == 0xfc) {
            return "private (unique local)";
        }
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) {
            return "Teredo tunnel";
        }
        if ((b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && (b[3] & 0xff) == 0xb8) || (b[0] == 0x01 && b[1] == 0 && zero(b, 2, 8))) {
            return "reserved (documentation, discard)";
        }
        if (b[0] == 0 && b[1] == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b && b[4] == 0 && b[5] == 0x01) {
            return "NAT64 (local use)";
        }
        byte[] v4 = embeddedV4(b);
        if (v4 != null) {
            try {
                String why = internal(InetAddress.getByAddress(v4));
                return why == null ? null : why + " (inside an IPv6 address)";
            } catch (UnknownHostException e) {
                return "malformed";
            }
        }
        return null;
    }

    /**
     * @return the IPv4 address an IPv6 one carries (v4-compatible {@code ::a.b.c.d}, v4-mapped
     *         {@code ::ffff:a.b.c.d}, v4-translated {@code ::ffff:0:a.b.c.d}, NAT64 {@code 64:ff9b::a.b.c.d},
     *         6to4 {@code 2002:aabb:ccdd::}), or null
     */
    private static byte[] embeddedV4(byte[] b) {
        boolean compatible = zero(b, 0, 12);
        boolean mapped = zero(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
        boolean translated = zero(b, 0, 8) && (b[8] & 0xff) == 0xff && (b[9] & 0xff) == 0xff && b[10] == 0 && b[11] == 0;
        boolean nat64 = b[0] == 0 && b[1] == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b && zero(b, 4, 12);
        if (compatible || mapped || translated || nat64) {
            return Arrays.copyOfRange(b, 12, 16);
        }
        if (b[0] == 0x20 && b[1] == 0x02) {
            return Arrays.copyOfRange(b, 2, 6);
        }
        return null;
    }

    private static boolean zero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
