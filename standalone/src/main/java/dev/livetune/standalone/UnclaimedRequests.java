package dev.livetune.standalone;

import dev.livetune.broker.Broker;
import dev.livetune.state.JobStore;
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

    /**
     * @param secret this run's signing secret (a new one every start): each request is signed again
     *               with it, since the orchestrator runs only requests a gateway of this run signed; null:
     *               sent as stored
     * @return the job ids whose requests were published again
     */
    static List<String> republish(JobStore jobs, Broker broker, String queue, String secret) throws IOException {
        broker.declare(queue);
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        List<String> sent = new ArrayList<>();
        for (Map<String, String> job : jobs.unclaimed()) {
            byte[] body = job.get("request").getBytes(StandardCharsets.UTF_8);
            if (secret != null) {
                try {
                    body = json.writeValueAsBytes(json.readValue(body, dev.livetune.api.learn.LearnRequest.class).signed(secret));
                } catch (IOException e) {
                    // not a learn request: sent as it is, for the orchestrator to dead-letter
                }
            }
            broker.publish(queue, new Broker.Message(body, job.get("request_id"),
                    null));
            sent.add(job.get("id"));
        }
        return sent;
    }
}
