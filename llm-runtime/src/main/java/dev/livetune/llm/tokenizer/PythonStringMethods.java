package dev.livetune.llm.tokenizer;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Gives strings in chat templates the Python {@code str} methods that Hugging Face templates call
 * ({@code content.strip()}, {@code .startswith('<think>')}, {@code .split('</think>')[-1]}, ...).
 *
 * <p>Jinjava only exposes Java's own {@link String} methods, so {@code lstrip}/{@code startswith}
 * would fail and {@code split} would be Java's regex split. This resolver runs before jinjava's
 * default one and answers the Python names with Python semantics; everything else falls through.
 */
final class PythonStringMethods extends ELResolver {

    @Override
    public Object invoke(
            ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String s) || !(method instanceof String name)) {
            return null;
        }
        Object[] args = params == null ? new Object[0] : params;
        Object result;
        switch (name) {
            case "strip" -> result = rstrip(lstrip(s, charsArg(args, 0)), charsArg(args, 0));
            case "lstrip" -> result = lstrip(s, charsArg(args, 0));
            case "rstrip" -> result = rstrip(s, charsArg(args, 0));
            case "startswith" -> result = matchesAny(args, p -> s.startsWith(p), name);
            case "endswith" -> result = matchesAny(args, p -> s.endsWith(p), name);
            case "split" -> result = split(s, charsArg(args, 0), intArg(args, 1, -1));
            case "rsplit" -> result = rsplit(s, charsArg(args, 0), intArg(args, 1, -1));
            case "replace" -> result = replace(s, args);
            case "upper" -> result = s.toUpperCase(Locale.ROOT);
            case "lower" -> result = s.toLowerCase(Locale.ROOT);
            case "title" -> result = title(s);
            case "capitalize" -> result =
                    s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT)
                            + s.substring(1).toLowerCase(Locale.ROOT);
            case "find" -> result = (long) s.indexOf(requireString(args, 0, name));
            case "count" -> result = count(s, requireString(args, 0, name));
            default -> {
                return null;
            }
        }
        context.setPropertyResolved(true);
        return result;
    }

    private static String charsArg(Object[] args, int i) {
        if (args.length <= i || args[i] == null) {
            return null; // Python: None means "whitespace"
        }
        return String.valueOf(args[i]);
    }

    private static int intArg(Object[] args, int i, int dflt) {
        if (args.length <= i || args[i] == null) {
            return dflt;
        }
        if (args[i] instanceof Number n) {
            return n.intValue();
        }
        throw new TokenizerException("chat template: expected an integer argument, got " + args[i]);
    }

    private static String requireString(Object[] args, int i, String method) {
        if (args.length <= i || args[i] == null) {
            throw new TokenizerException("chat template: str." + method + "() needs an argument");
        }
        return String.valueOf(args[i]);
    }

    private static boolean isStripped(char c, String chars) {
        return chars == null ? Character.isWhitespace(c) || Character.isSpaceChar(c) : chars.indexOf(c) >= 0;
    }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && isStripped(s.charAt(i), chars)) {
            i++;
        }
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int j = s.length();
        while (j > 0 && isStripped(s.charAt(j - 1), chars)) {
            j--;
        }
        return s.substring(0, j);
    }

    private static boolean matchesAny(
            Object[] args, java.util.function.Predicate<String> test, String method) {
        if (args.length == 0 || args[0] == null) {
            throw new TokenizerException("chat template: str." + method + "() needs an argument");
        }
        // Python accepts a tuple of prefixes; jinjava hands tuples and lists over as collections.
        if (args[0] instanceof Collection<?> options) {
            return options.stream().anyMatch(o -> test.test(String.valueOf(o)));
        }
        return test.test(String.valueOf(args[0]));
    }

    static List<String> split(String s, String sep, int maxsplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            // Python: runs of whitespace separate, leading/trailing whitespace yields no empty parts.
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && Character.isWhitespace(s.charAt(i))) {
                    i++;
                }
                if (i >= n) {
                    break;
                }
                if (maxsplit >= 0 && out.size() == maxsplit) {
                    out.add(rstrip(s.substring(i), null));
                    break;
                }
                int j = i;
                while (j < n && !Character.isWhitespace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) {
            throw new TokenizerException("chat template: str.split(): empty separator");
        }
        int start = 0;
        int idx;
        while ((maxsplit < 0 || out.size() < maxsplit) && (idx = s.indexOf(sep, start)) >= 0) {
            out.add(s.substring(start, idx));
            start = idx + sep.length();
        }
        out.add(s.substring(start));
        return out;
    }

    static List<String> rsplit(String s, String sep, int maxsplit) {
        if (maxsplit < 0 || sep == null) {
            return split(s, sep, maxsplit);
        }
        if (sep.isEmpty()) {
            throw new TokenizerException("chat template: str.rsplit(): empty separator");
        }
        List<String> out = new ArrayList<>();
        int end = s.length();
        int idx;
        while (out.size() < maxsplit && (idx = s.lastIndexOf(sep, end - sep.length())) >= 0) {
            out.add(0, s.substring(idx + sep.length(), end));
            end = idx;
        }
        out.add(0, s.substring(0, end));
        return out;
    }

    private static String replace(String s, Object[] args) {
        String old = requireString(args, 0, "replace");
        String rep = requireString(args, 1, "replace");
        int count = intArg(args, 2, -1);
        if (count < 0) {
            return s.replace(old, rep);
        }
        StringBuilder sb = new StringBuilder();
        int start = 0;
        int idx;
        int done = 0;
        while (done < count && (idx = s.indexOf(old, start)) >= 0) {
            sb.append(s, start, idx).append(rep);
            start = idx + old.length();
            done++;
            if (old.isEmpty()) {
                break; // avoid an endless loop on an empty pattern; rare enough to not emulate fully
            }
        }
        return sb.append(s.substring(start)).toString();
    }

    private static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean prevCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            sb.append(prevCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            prevCased = Character.isLetter(c);
        }
        return sb.toString();
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1L;
        }
        long n = 0;
        int idx = 0;
        while ((idx = s.indexOf(sub, idx)) >= 0) {
            n++;
            idx += sub.length();
        }
        return n;
    }

    // Property access is left to jinjava's default resolver.

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // not resolved here
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
