package dev.livetune.standalone;

import dev.livetune.broker.Broker;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Learn requests the gateway accepted but no orchestrator took: in standalone the queue between them
 * is in memory, so a JVM killed in between loses the message while Redis keeps the job ({@code queued},
 * with its request, no phase). On start they are published again; the orchestrator claims each request
 * id once, so one that did arrive is not learned twice.
 */
final class UnclaimedRequests {

    private UnclaimedRequests() {
    }

    /** @return the job ids whose requests were published again */
    static List<String> republish(RedisCommands<String, String> redis, Broker broker, String queue) throws IOException {
        broker.declare(queue);
        List<String> sent = new ArrayList<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = redis.scan(cursor, ScanArgs.Builder.matches("livetune:job:*").limit(500));
            for (String key : page.getKeys()) {
                Map<String, String> job = redis.hgetall(key);
                String request = job.get("request");
                if (request != null && !job.containsKey("phase") && "queued".equals(job.get("status"))) {
                    broker.publish(queue, new Broker.Message(request.getBytes(StandardCharsets.UTF_8), job.get("request_id"),
                            null));
                    sent.add(job.get("id"));
                }
            }
            cursor = page;
        } while (!cursor.isFinished());
        return sent;
    }
}
