package dev.livetune.gateway;

import dev.livetune.api.learn.LearnRequest;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Learn-job records, written once the broker has confirmed the request (the learning orchestrator
 * advances them). {@code livetune:job:<id>} is a hash; {@code livetune:tenant-jobs:<tenant>} orders
 * a tenant's jobs by creation time.
 */
@Singleton
public class Jobs {

    private final RedisStore store;

    Jobs(RedisStore store) {
        this.store = store;
    }

    public void recordQueued(LearnRequest r, String model) {
        Map<String, String> job = new LinkedHashMap<>();
        job.put("id", r.jobId());
        job.put("tenant", r.tenant());
        job.put("adapter", r.adapter());
        job.put("model", model);
        job.put("mode", r.mode());
        job.put("status", "queued");
        job.put("request_id", r.requestId());
        job.put("created_at", Long.toString(Instant.parse(r.createdAt()).getEpochSecond()));
        store.redis().hset("livetune:job:" + r.jobId(), job);
        store.redis().zadd("livetune:tenant-jobs:" + r.tenant(), Instant.parse(r.createdAt()).toEpochMilli(), r.jobId());
    }

    /** @return the job if it belongs to the tenant */
    public Map<String, String> get(String tenant, String jobId) {
        Map<String, String> job = store.redis().hgetall("livetune:job:" + jobId);
        if (job == null || job.isEmpty() || !tenant.equals(job.get("tenant"))) {
            return null;
        }
        return job;
    }
}
