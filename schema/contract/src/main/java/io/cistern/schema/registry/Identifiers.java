package io.cistern.schema.registry;

import java.util.regex.Pattern;

/** The identifier rule shared by table and column names: what needs no quoting in PostgreSQL and no escaping in Redis keys. */
final class Identifiers {
    static final String RULE = "must be a plain lower-case SQL identifier ([a-z_][a-z0-9_]*, at most 63 characters)";
    private static final Pattern PLAIN = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private Identifiers() {}

    static boolean isPlain(String name) {
        return PLAIN.matcher(name).matches();
    }
}
