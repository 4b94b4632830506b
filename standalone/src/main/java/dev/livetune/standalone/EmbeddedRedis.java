package dev.livetune.standalone;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import redis.embedded.RedisServer;

/**
 * The redis-server shipped in the {@code embedded-redis} jar, on loopback, with its append-only file
 * in the data directory (fsync on every write: an acknowledged learn request survives a crash), so
 * tenants, sessions, jobs and live versions persist across restarts. It asks for a password made
 * afresh at every start and known only to this process: another local user, or a page in a browser
 * that reaches loopback, cannot read or change livetune's state.
 */
final class EmbeddedRedis implements AutoCloseable {

    private final RedisServer server;
    private final int port;
    private final String password;

    private EmbeddedRedis(RedisServer server, int port, String password) {
        this.server = server;
        this.port = port;
        this.password = password;
    }

    static EmbeddedRedis start(Path dir) throws IOException {
        Files.createDirectories(dir);
        if (dir.toString().contains(" ") || dir.toString().contains("\"")) {
            throw new Settings.Invalid("the data directory's path must not contain spaces or quotes (Redis keeps "
                    + "its files there): " + dir);
        }
        int port = freePort();
        byte[] secret = new byte[24];
        new java.security.SecureRandom().nextBytes(secret);
        String password = java.util.HexFormat.of().formatHex(secret);
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        RedisServer server = RedisServer.newRedisServer().bind("127.0.0.1").port(port)
                .setting("dir " + dir)
                .setting("pidfile " + dir.resolve("redis.pid"))
                .setting("requirepass " + password)
                .setting("appendonly yes")
                .setting("appendfsync always")
                .setting("appendfilename livetune.aof")
                .setting("save \"\"")
                .setting("logfile \"\"")
                .soutListener(log::add).serrListener(log::add)
                .build();
        try {
            server.start();
        } catch (IOException | RuntimeException e) {
            throw new IOException("the embedded redis-server did not start (" + e.getMessage() + "); it runs from the "
                    + "temporary directory, which must be writable and allow executables. Its output:\n"
                    + String.join("\n", log), e);
        }
        return new EmbeddedRedis(server, port, password);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** @return the URI the services connect with, password included */
    String uri() {
        return "redis://:" + password + "@127.0.0.1:" + port;
    }

    int port() {
        return port;
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (IOException e) {
            System.err.println("livetune: stopping the embedded redis-server: " + e.getMessage());
        }
    }
}
