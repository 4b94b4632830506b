/**
 * The Redis schema shared between services, one repository class per key family, each naming the
 * service that owns (writes) it:
 * <ul>
 *   <li>{@link JobStore}: learn jobs, their events and the request claims. The orchestrator owns a job
 *       from its claim on; the gateway records it as queued before that and flags a cancellation.</li>
 *   <li>{@link AdapterStore}: a tenant's aliases, released versions, the live version and the version
 *       counter. The orchestrator writes them (a release, a rollback); the gateway and standalone read.</li>
 *   <li>{@link TenantPolicies}: a tenant's eval-gate thresholds, set through the gateway's admin API,
 *       read by the orchestrator.</li>
 *   <li>{@link FileIndex}: uploaded files, written by the gateway, read by the orchestrator.</li>
 *   <li>{@link KnowledgeIndex}: learned items, written by the orchestrator, read by the gateway.</li>
 * </ul>
 * Families only one service touches stay with it (the gateway's API keys, quotas and sessions; the
 * orchestrator's augmentation results). No other main code spells a {@code livetune:} key.
 *
 * <p>Each class takes the caller's connection as a {@code Supplier<RedisCommands>} (one shared
 * Lettuce connection per service, opened on first use) and is safe to share between threads.
 */
package dev.livetune.state;
