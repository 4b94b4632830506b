package dev.livetune.operator;

import dev.livetune.api.k8s.Condition;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/** Kubernetes-style condition upkeep: {@code lastTransitionTime} moves only when a condition's status does. */
final class Conditions {

    private Conditions() {
    }

    static List<Condition> set(List<Condition> current, String type, String status, String reason, String message,
            Long generation, Clock clock) {
        List<Condition> out = new ArrayList<>();
        String since = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
        boolean found = false;
        for (Condition c : current == null ? List.<Condition>of() : current) {
            if (c.type().equals(type)) {
                found = true;
                out.add(new Condition(type, status, reason, message, status.equals(c.status()) ? c.lastTransitionTime() : since,
                        generation));
            } else {
                out.add(c);
            }
        }
        if (!found) {
            out.add(new Condition(type, status, reason, message, since, generation));
        }
        return out;
    }
}
