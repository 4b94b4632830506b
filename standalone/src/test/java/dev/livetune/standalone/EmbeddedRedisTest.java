package dev.livetune.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 #12: standalone's embedded Redis took any local connection, so another user of the
 * machine (or a page that reaches loopback) could read the API keys' hashes, sessions and jobs. It
 * now asks for a password made at every start, which only the livetune process knows.
 */
class EmbeddedRedisTest {

    @Test
    void onlyTheHolderOfTheGeneratedPasswordGetsIn() throws Exception {
        Path dir = Files.createTempDirectory("livetune-embedded-redis");
        try (EmbeddedRedis redis = EmbeddedRedis.start(dir)) {
            // a stranger on the machine, speaking Redis's protocol on the port
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), redis.port())) {
                s.getOutputStream().write("KEYS *\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                String answer = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(),
                        java.nio.charset.StandardCharsets.US_ASCII)).readLine();
                assertThat(answer).startsWith("-NOAUTH");
            }
            assertThat(redis.uri()).doesNotEndWith("@127.0.0.1:" + redis.port() + "/").matches("redis://:[0-9a-f]{48}@127\\.0\\.0\\.1:\\d+");
            RedisClient owner = RedisClient.create(redis.uri());
            try (StatefulRedisConnection<String, String> c = owner.connect()) {
                c.sync().set("livetune:probe", "ok");
                assertThat(c.sync().get("livetune:probe")).isEqualTo("ok");
            } finally {
                owner.shutdown();
            }
            int port = redis.port();
            redis.close();
            await("the server gone").atMost(Duration.ofSeconds(20)).until(() -> !listening(port));
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
