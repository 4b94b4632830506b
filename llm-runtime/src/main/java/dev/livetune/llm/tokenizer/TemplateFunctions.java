package dev.livetune.llm.tokenizer;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.Locale;

/**
 * The global functions Hugging Face gives chat templates. Jinjava binds functions to static methods,
 * so the clock is not a field here: {@code strftime_now} reads the time from the rendering
 * interpreter's config, which {@link ChatTemplate} builds from its injected {@link java.time.Clock}.
 */
public final class TemplateFunctions {
    private TemplateFunctions() {}

    /** Thrown by {@code raise_exception(msg)}; {@link ChatTemplate} rethrows it to the caller. */
    static final class RaisedByTemplate extends TokenizerException {
        private static final long serialVersionUID = 1L;
        private final String templateMessage;

        RaisedByTemplate(String templateMessage) {
            super("chat template raised an exception: " + templateMessage);
            this.templateMessage = templateMessage;
        }

        String templateMessage() {
            return templateMessage;
        }
    }

    /** {@code raise_exception(msg)}: aborts rendering with the template's own message. */
    public static String raiseException(Object message) {
        throw new RaisedByTemplate(String.valueOf(message));
    }

    /** {@code strftime_now(fmt)}: the current time of the template's clock, Python strftime format. */
    public static String strftimeNow(String format) {
        JinjavaInterpreter interpreter = JinjavaInterpreter.getCurrent();
        if (interpreter == null) {
            throw new TokenizerException("chat template: strftime_now called outside rendering");
        }
        long millis = interpreter.getConfig().getDateTimeProvider().getCurrentTimeMillis();
        ZoneId zone = interpreter.getConfig().getTimeZone();
        return strftime(ZonedDateTime.ofInstant(Instant.ofEpochMilli(millis), zone), format);
    }

    /** Python's {@code datetime.strftime} for the directives chat templates use, C locale. */
    static String strftime(ZonedDateTime t, String format) {
        StringBuilder out = new StringBuilder();
        Locale en = Locale.ENGLISH;
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 >= format.length()) {
                out.append(c);
                continue;
            }
            char d = format.charAt(++i);
            boolean noPad = false;
            if (d == '-' && i + 1 < format.length()) { // glibc extension, e.g. %-d
                noPad = true;
                d = format.charAt(++i);
            }
            switch (d) {
                case 'Y' -> out.append(t.getYear());
                case 'y' -> out.append(pad(t.getYear() % 100, 2, noPad));
                case 'm' -> out.append(pad(t.getMonthValue(), 2, noPad));
                case 'd' -> out.append(pad(t.getDayOfMonth(), 2, noPad));
                case 'e' -> out.append(noPad ? String.valueOf(t.getDayOfMonth())
                        : String.format(Locale.ROOT, "%2d", t.getDayOfMonth()));
                case 'H' -> out.append(pad(t.getHour(), 2, noPad));
                case 'I' -> out.append(pad(t.getHour() % 12 == 0 ? 12 : t.getHour() % 12, 2, noPad));
                case 'M' -> out.append(pad(t.getMinute(), 2, noPad));
                case 'S' -> out.append(pad(t.getSecond(), 2, noPad));
                case 'f' -> out.append(pad(t.getNano() / 1000, 6, false));
                case 'p' -> out.append(t.getHour() < 12 ? "AM" : "PM");
                case 'j' -> out.append(pad(t.getDayOfYear(), 3, noPad));
                case 'a' -> out.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, en));
                case 'A' -> out.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, en));
                case 'b', 'h' -> out.append(t.getMonth().getDisplayName(TextStyle.SHORT, en));
                case 'B' -> out.append(t.getMonth().getDisplayName(TextStyle.FULL, en));
                case 'w' -> out.append(t.getDayOfWeek().getValue() % 7);
                case 'Z' -> out.append(t.getZone().getDisplayName(TextStyle.SHORT, en));
                case 'z' -> out.append(t.getOffset().getId().equals("Z") ? "+0000"
                        : t.getOffset().getId().replace(":", ""));
                case '%' -> out.append('%');
                default -> throw new TokenizerException(
                        "chat template: strftime_now: unsupported directive %" + d + " in '" + format + "'");
            }
        }
        return out.toString();
    }

    private static String pad(int value, int width, boolean noPad) {
        String s = String.valueOf(value);
        if (noPad) {
            return s;
        }
        return "0".repeat(Math.max(0, width - s.length())) + s;
    }
}
