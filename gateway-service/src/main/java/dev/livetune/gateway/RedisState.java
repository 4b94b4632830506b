package dev.livetune.gateway;

import dev.livetune.state.AdapterStore;
import dev.livetune.state.FileIndex;
import dev.livetune.state.JobStore;
import dev.livetune.state.KnowledgeIndex;
import dev.livetune.state.TenantPolicies;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The shared Redis key families ({@code livetune-state}), on the gateway's connection. */
@Singleton
class RedisState {

    @Produces
    @Singleton
    JobStore jobs(RedisStore redis) {
        return new JobStore(redis::redis);
    }

    @Produces
    @Singleton
    AdapterStore adapters(RedisStore redis) {
        return new AdapterStore(redis::redis);
    }

    @Produces
    @Singleton
    TenantPolicies policies(RedisStore redis) {
        return new TenantPolicies(redis::redis);
    }

    @Produces
    @Singleton
    FileIndex files(RedisStore redis) {
        return new FileIndex(redis::redis);
    }

    @Produces
    @Singleton
    KnowledgeIndex knowledge(RedisStore redis) {
        return new KnowledgeIndex(redis::redis);
    }
}
