package dev.livetune.standalone;

import dev.livetune.api.learn.LearnRequest;
import dev.livetune.broker.Broker;
import dev.livetune.broker.Brokers;
import dev.livetune.gateway.ApiKeys;
import dev.livetune.inference.InferenceEngine;
import dev.livetune.state.JobStore;
import io.quarkus.arc.Arc;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;
import org.eclipse.microprofile.config.ConfigProvider;

/** Runs once every role has started: records the default tenant's key, says where everything is, waits. */
public final class Serve implements QuarkusApplication {

    /** What {@link Up} prepared. */
    record Plan(Settings settings, String tenant, String apiKey, String model, List<String> liveAdapters) {
    }

    @Override
    public int run(String... args) {
        Plan plan = Up.plan;
        Arc.container().instance(ApiKeys.class).get().register(plan.tenant(), plan.apiKey());
        InferenceEngine engine = Arc.container().instance(InferenceEngine.class).get();
        for (String reason; (reason = engine.notReadyReason()) != null; ) {
            if (!reason.contains("loading")) {
                System.err.println("livetune: " + reason);
                return 70;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
        }
        try (Broker broker = Brokers.open(ConfigProvider.getConfig().getValue("livetune.gateway.rabbitmq-uri", String.class))) {
            List<String> again = UnclaimedRequests.republish(Arc.container().instance(JobStore.class).get(), broker,
                    ConfigProvider.getConfig().getOptionalValue("livetune.gateway.learn-queue", String.class)
                            .orElse(LearnRequest.QUEUE),
                    ConfigProvider.getConfig().getOptionalValue("livetune.gateway.generate-secret", String.class).orElse(null));
            if (!again.isEmpty()) {
                System.out.println("Sent again " + again.size() + " learn request(s) a previous run had not started: " + again);
            }
        } catch (IOException e) {
            System.err.println("livetune: could not send unstarted learn requests again: " + e.getMessage());
        }
        Settings s = plan.settings();
        double seconds = (System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime()) / 1000.0;
        System.out.printf(Locale.ROOT, """

                livetune is ready (%.1f s)
                  OpenAI-compatible HTTP   %s/v1
                  gRPC livetune.chat.v1    %s:%d
                  API key (tenant %s)  in %s (not printed: logs and terminals keep what is printed)
                                              export OPENAI_API_KEY=$(cat %s)
                  model                    %s
                  live adapters            %s
                  data                     %s  (log: livetune.log)
                Chat with it: ./livetune chat     Stop: Ctrl-C

                """, seconds, s.httpUrl(), s.clientHost(), s.grpcPort(), '"' + plan.tenant() + '"', s.apiKeyFile(), s.apiKeyFile(), plan.model(),
                plan.liveAdapters().isEmpty() ? "none yet" : String.join(", ", plan.liveAdapters()), s.dataDir());
        System.out.flush();
        Quarkus.waitForExit();
        return 0;
    }
}
