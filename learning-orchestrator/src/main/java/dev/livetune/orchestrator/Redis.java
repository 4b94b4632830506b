package dev.livetune.orchestrator;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;

/** One shared Lettuce connection, opened on first use. */
@Singleton
public class Redis {

    private final RedisClient client;
    private volatile StatefulRedisConnection<String, String> connection;

    Redis(OrchestratorConfig config) {
        RedisURI uri = RedisURI.create(config.redisUri());
        uri.setTimeout(Duration.ofSeconds(5));
        this.client = RedisClient.create(uri);
    }

    public RedisCommands<String, String> sync() {
        if (connection == null) {
            synchronized (this) {
                if (connection == null) {
                    connection = client.connect();
                }
            }
        }
        return connection.sync();
    }

    @PreDestroy
    void close() {
        if (connection != null) {
            connection.close();
        }
        client.shutdown();
    }
}
