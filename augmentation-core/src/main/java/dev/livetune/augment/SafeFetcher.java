package dev.livetune.augment;

import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;

/**
 * Fetches web pages for search augmentation without letting a URL reach inside the platform.
 *
 * <p>Only {@code http} and {@code https}. Before every request — the first and each redirect, which
 * are followed by hand — the host is resolved and the fetch refused if any address it resolves to
 * is loopback, private (RFC 1918, IPv6 unique-local), link-local (which includes the cloud metadata
 * address 169.254.169.254), carrier-grade NAT, multicast or unspecified, unless the host is on the
 * allowlist. Bodies are cut at {@code maxBytes}; every request has a timeout.
 *
 * <p>Known limit: the address is checked on resolution and the HTTP client resolves again when it
 * connects, so a DNS server that answers differently within that moment (rebinding) is not stopped;
 * the NetworkPolicy of the chart is the second line.
 */
public final class SafeFetcher {

    /** A fetched page. */
    public record Page(URI url, String contentType, byte[] body, boolean truncated) {
    }

    private static final int MAX_REDIRECTS = 5;

    private final Set<String> allowlist;
    private final long maxBytes;
    private final Duration timeout;
    private final HttpClient client;

    /**
     * @param allowlist host names (lower case) that may resolve to internal addresses (tests, an in-cluster SearXNG)
     * @param maxBytes  largest body kept
     * @param timeout   per request
     */
    public SafeFetcher(Set<String> allowlist, long maxBytes, Duration timeout) {
        this.allowlist = Set.copyOf(allowlist);
        this.maxBytes = maxBytes;
        this.timeout = timeout;
        this.client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(timeout).build();
    }

    /**
     * @throws FetchRefusedException when the URL or a redirect is not allowed
     * @throws IOException           when the server cannot be reached or answers with an error
     */
    public Page fetch(URI url) throws IOException, InterruptedException {
        URI current = url;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            check(current);
            HttpRequest request = HttpRequest.newBuilder(current).timeout(timeout).header("User-Agent", "livetune-augment/0.1")
                    .GET().build();
            HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            int status = response.statusCode();
            if (status >= 300 && status < 400 && response.headers().firstValue("Location").isPresent()) {
                response.body().close();
                current = current.resolve(response.headers().firstValue("Location").get());
                continue;
            }
            try (InputStream in = response.body()) {
                if (status >= 400) {
                    throw new IOException(current + " answered HTTP " + status);
                }
                byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
                boolean truncated = body.length > maxBytes;
                if (truncated) {
                    body = java.util.Arrays.copyOf(body, (int) maxBytes);
                }
                return new Page(current, response.headers().firstValue("Content-Type").orElse(""), body, truncated);
            }
        }
        throw new FetchRefusedException(url + ": more than " + MAX_REDIRECTS + " redirects");
    }

    /** Refuses what must never be fetched; see the class comment. */
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
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host.startsWith("[") ? host.substring(1, host.length() - 1) : host);
        } catch (UnknownHostException e) {
            throw new FetchRefusedException(url + ": host " + host + " does not resolve");
        }
        for (InetAddress a : addresses) {
            String why = internal(a);
            if (why != null) {
                throw new FetchRefusedException(url + ": " + host + " resolves to " + a.getHostAddress() + ", a " + why
                        + " address; refused (add the host to the allowlist to permit it)");
            }
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
            if (first == 100 && second >= 64 && second <= 127) {
                return "carrier-grade NAT";
            }
            if (first == 0 || first >= 240) {
                return "reserved";
            }
        }
        if (a instanceof Inet6Address) {
            if ((b[0] & 0xfe) == 0xfc) {
                return "private (unique local)";
            }
            boolean mappedV4 = true;
            for (int i = 0; i < 10; i++) {
                mappedV4 &= b[i] == 0;
            }
            if (mappedV4 && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
                try {
                    return internal(InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, 12, 16)));
                } catch (UnknownHostException e) {
                    return "malformed";
                }
            }
        }
        return null;
    }
}
