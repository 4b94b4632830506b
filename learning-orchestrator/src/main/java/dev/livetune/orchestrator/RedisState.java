package dev.livetune.orchestrator;

import dev.livetune.state.AdapterStore;
import dev.livetune.state.FileIndex;
import dev.livetune.state.JobStore;
import dev.livetune.state.KnowledgeIndex;
import dev.livetune.state.TenantPolicies;
import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * The shared Redis key families ({@code livetune-state}), on the orchestrator's connection. Default
 * beans: in standalone, where the gateway runs in the same application, the gateway's (on the same
 * Redis) are used instead, so each family has one bean.
 */
@Singleton
class RedisState {

    @Produces
    @Singleton
    @DefaultBean
    JobStore jobs(Redis redis) {
        return new JobStore(redis::sync);
    }

    @Produces
    @Singleton
    @DefaultBean
    AdapterStore adapters(Redis redis) {
        return new AdapterStore(redis::sync);
    }

    @Produces
    @Singleton
    @DefaultBean
    TenantPolicies policies(Redis redis) {
        return new TenantPolicies(redis::sync);
    }

    @Produces
    @Singleton
    @DefaultBean
    FileIndex files(Redis redis) {
        return new FileIndex(redis::sync);
    }

    @Produces
    @Singleton
    @DefaultBean
    KnowledgeIndex knowledge(Redis redis) {
        return new KnowledgeIndex(redis::sync);
    }
}
