package dev.livetune.llm.generate;

import java.util.List;

/**
 * Finds stop strings in streamed text without ever emitting part of one: text that could still
 * become the start of a stop string is held back until it cannot.
 */
final class StopStringMatcher {

    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    StopStringMatcher(List<String> stops) {
        this.stops = stops;
    }

    /** @return the text that is safe to emit after appending {@code delta} */
    String push(String delta) {
        if (stopped) {
            return "";
        }
        held.append(delta);
        if (stops.isEmpty()) {
            String out = held.toString();
            held.setLength(0);
            return out;
        }
        int first = -1;
        for (String s : stops) {
            int at = held.indexOf(s);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
            }
        }
        if (first >= 0) {
            stopped = true;
            String out = held.substring(0, first);
            held.setLength(0);
            return out;
        }
        int keep = longestSuffixThatStartsAStop();
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    /** @return whether a stop string was seen */
    boolean stopped() {
        return stopped;
    }

    /** @return what is still held back (at the end of a generation that did not stop on a string) */
    String flush() {
        String out = stopped ? "" : held.toString();
        held.setLength(0);
        return out;
    }

    private int longestSuffixThatStartsAStop() {
        int best = 0;
        for (String s : stops) {
            int max = Math.min(s.length() - 1, held.length());
            for (int len = max; len > best; len--) {
                if (held.toString().regionMatches(held.length() - len, s, 0, len)) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }
}
