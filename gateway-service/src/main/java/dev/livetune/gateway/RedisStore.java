package dev.livetune.gateway;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

/**
 * The gateway's Redis connection (Lettuce; one thread-safe connection shared by all requests,
 * opened on first use and reconnecting by itself afterwards). While Redis is unreachable, calls
 * throw {@link io.lettuce.core.RedisException}, which clients see as 503.
 */
@Singleton
public class RedisStore {

    private final RedisClient client;
    private volatile StatefulRedisConnection<String, String> connection;

    RedisStore(GatewayConfig config) {
        RedisURI uri = RedisURI.create(config.redisUri());
        uri.setTimeout(config.redisTimeout());
        this.client = RedisClient.create(uri);
    }

    /** @return synchronous commands (call from worker threads) */
    public RedisCommands<String, String> redis() {
        StatefulRedisConnection<String, String> c = connection;
        if (c == null) {
            synchronized (this) {
                if (connection == null) {
                    connection = client.connect();
                }
                c = connection;
            }
        }
        return c.sync();
    }

    @PreDestroy
    void close() {
        if (connection != null) {
            connection.close();
        }
        client.shutdown();
    }
}
