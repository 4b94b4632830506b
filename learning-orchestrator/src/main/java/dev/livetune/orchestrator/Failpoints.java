package dev.livetune.orchestrator;

import org.jboss.logging.Logger;

/**
 * Fault injection for the crash tests: started with {@code -Dlivetune.failpoint=<name>}, the process
 * halts (as a SIGKILL would end it: no shutdown hooks, nothing flushed) the moment it reaches that
 * point. Names: {@code after-claim} (job recorded, request not yet acknowledged),
 * {@code after-enter:<phase>} (the phase persisted, its work not begun), {@code after-dispatch}
 * (augmentation tasks published but not yet recorded as sent: they go out again, and the second
 * result for a task is ignored), {@code after-coalesce} (a job has taken in requests that arrived while
 * its adapter trained, before it augments), {@code after-release} (the version live,
 * the job not yet succeeded). Unset, as in production, it costs one comparison.
 */
final class Failpoints {

    private static final Logger LOG = Logger.getLogger(Failpoints.class);
    private static final String ARMED = System.getProperty("livetune.failpoint");

    private Failpoints() {
    }

    static void hit(String name) {
        if (ARMED != null && ARMED.equals(name)) {
            LOG.warnf("failpoint %s reached: halting", name);
            Runtime.getRuntime().halt(137);
        }
    }
}
