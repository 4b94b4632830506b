package dev.livetune.state;

import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Whether Redis answers, for the services' readiness checks: a {@code PING} with a short deadline of its own. */
public final class StoreHealth {

    private StoreHealth() {
    }

    /** @return why Redis is not usable now, or empty when it answered {@code PONG} within {@code within} */
    public static Optional<String> problem(RedisCommands<String, String> redis, Duration within) {
        try {
            String pong = redis.getStatefulConnection().async().ping().get(within.toMillis(), TimeUnit.MILLISECONDS);
            return "PONG".equals(pong) ? Optional.empty() : Optional.of("PING answered " + pong);
        } catch (java.util.concurrent.TimeoutException e) {
            return Optional.of("no answer to PING within " + within.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        } catch (Exception e) {
            return Optional.of(String.valueOf(e.getCause() == null ? e : e.getCause()));
        }
    }
}
