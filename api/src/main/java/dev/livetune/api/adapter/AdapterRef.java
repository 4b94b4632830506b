package dev.livetune.api.adapter;

import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A reference to a tenant's LoRA adapter: {@code tenant/name} names the alias (whatever version is
 * live), {@code tenant/name@vN} pins version {@code N}. Clients see the same names without the
 * tenant ({@code default}, {@code default@v3}); the gateway adds the caller's tenant.
 *
 * @param tenant  the owning tenant
 * @param name    the adapter alias, e.g. {@code default}
 * @param version the pinned version (1 or more), or empty for the live version of the alias
 */
public record AdapterRef(String tenant, String name, OptionalInt version) {

    /**
     * Tenant ids and adapter names: lower case, digits, {@code -_.}, starting and ending with a letter or
     * digit, 1 to 63 chars. That is a valid Kubernetes label value, which the training and release objects
     * of a tenant carry ({@code livetune.dev/tenant}); a name ending in {@code -} could never train in a
     * cluster.
     */
    private static final String IDENT = "[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?";
    private static final Pattern IDENT_PATTERN = Pattern.compile(IDENT);
    private static final Pattern REF = Pattern.compile("(" + IDENT + ")/(" + IDENT + ")(?:@v([1-9][0-9]{0,8}))?");
    private static final Pattern MODEL = Pattern.compile("(" + IDENT + ")(?:@v([1-9][0-9]{0,8}))?");

    public AdapterRef {
        requireIdent("tenant", tenant);
        requireIdent("adapter name", name);
        if (version == null || (version.isPresent() && version.getAsInt() < 1)) {
            throw new IllegalArgumentException("version must be empty or at least 1");
        }
    }

    /** @return the live alias {@code tenant/name} */
    public static AdapterRef alias(String tenant, String name) {
        return new AdapterRef(tenant, name, OptionalInt.empty());
    }

    /** @return the pinned version {@code tenant/name@vN} */
    public static AdapterRef pinned(String tenant, String name, int version) {
        return new AdapterRef(tenant, name, OptionalInt.of(version));
    }

    /**
     * @param ref {@code tenant/name} or {@code tenant/name@vN}
     * @throws IllegalArgumentException naming what is wrong
     */
    public static AdapterRef parse(String ref) {
        Matcher m = REF.matcher(ref == null ? "" : ref);
        if (!m.matches()) {
            throw new IllegalArgumentException("adapter reference '" + ref
                    + "' is not of the form tenant/name or tenant/name@vN (lower-case letters, digits, '.', '_', '-')");
        }
        return new AdapterRef(m.group(1), m.group(2),
                m.group(3) == null ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(m.group(3))));
    }

    /**
     * Parses the {@code model} a client asked for ({@code name} or {@code name@vN}) within its tenant.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static AdapterRef parseModel(String tenant, String model) {
        Matcher m = MODEL.matcher(model == null ? "" : model);
        if (!m.matches()) {
            throw new IllegalArgumentException("model '" + model + "' is not an adapter name or name@vN");
        }
        return new AdapterRef(tenant, m.group(1),
                m.group(2) == null ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(m.group(2))));
    }

    /** @return whether this names the live version of an alias rather than a pinned one */
    public boolean isAlias() {
        return version.isEmpty();
    }

    /** @return the name a client uses: {@code name} or {@code name@vN} */
    public String modelName() {
        return version.isPresent() ? name + "@v" + version.getAsInt() : name;
    }

    /** @return the same adapter pinned to a version */
    public AdapterRef at(int v) {
        return pinned(tenant, name, v);
    }

    @Override
    public String toString() {
        return tenant + "/" + modelName();
    }

    private static void requireIdent(String what, String value) {
        if (value == null || !IDENT_PATTERN.matcher(value).matches()) {
            throw new IllegalArgumentException(what + " '" + value
                    + "' must be 1-63 lower-case letters, digits, '.', '_' or '-', starting and ending with a letter or digit");
        }
    }
}
