package dev.livetune.standalone;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar on a terminal ({@code [#######.......]  48%  detail}, redrawn in place);
 * elsewhere (a log, a pipe) one line per tenth, so a captured run still shows the progress.
 */
final class ProgressBar {

    private static final int WIDTH = 30;

    private final PrintStream out;
    private final boolean terminal;
    private final String label;
    private int lastTenth = -1;
    private int lastLength;

    ProgressBar(PrintStream out, boolean terminal, String label) {
        this.out = out;
        this.terminal = terminal;
        this.label = label;
    }

    static ProgressBar onConsole(String label) {
        return new ProgressBar(System.out, System.console() != null, label);
    }

    /** @param fraction 0..1 */
    synchronized void update(double fraction, String detail) {
        double f = Math.max(0, Math.min(1, fraction));
        if (terminal) {
            int filled = (int) Math.round(f * WIDTH);
            String line = String.format(Locale.ROOT, "%s [%s%s] %3d%%  %s", label, "#".repeat(filled), ".".repeat(WIDTH - filled),
                    Math.round(f * 100), detail);
            out.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
            lastLength = line.length();
            out.flush();
        } else {
            int tenth = (int) Math.floor(f * 10);
            if (tenth != lastTenth) {
                lastTenth = tenth;
                out.printf(Locale.ROOT, "%s %3d%%  %s%n", label, tenth * 10, detail);
            }
        }
    }

    /** Ends the bar's line with a closing message. */
    synchronized void finish(String message) {
        if (terminal) {
            out.print("\r" + " ".repeat(lastLength) + "\r");
        }
        out.println(label + " " + message);
        out.flush();
    }
}
