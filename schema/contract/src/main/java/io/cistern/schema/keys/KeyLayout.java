package io.cistern.schema.keys;

import java.util.regex.Pattern;

/**
 * Cistern's Redis key names. Every key of partition {@code p} carries the hash tag {@code {p}}, so a partition lives in
 * one Redis Cluster slot and one Function call can touch all of its keys atomically.
 *
 * <pre>
 * {prefix}:{p}:r:{table}:{encodedKey}  record hash: latest state, version, state marker
 * {prefix}:{p}:s                       the partition's change stream
 * {prefix}:{p}:m                       partition meta: version floor, sequence, limits, table specs
 * {prefix}:{p}:dlq                     the partition's dead-letter stream
 * {prefix}:{p}:lease                   the partition's lease: which sync worker should work on it
 * {prefix}:registry                    table definitions (JSON per table)
 * {prefix}:config                      partition count and protocol version
 * </pre>
 *
 * The prefix defaults to {@code cistern}; tests use their own prefix to isolate themselves on a shared server.
 */
public record KeyLayout(String prefix) {
    public static final String DEFAULT_PREFIX = "cistern";
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9_.\\-]{1,64}");

    public KeyLayout {
        if (prefix == null || !PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException(
                    "key prefix '" + prefix + "' must be 1 to 64 characters of A-Z a-z 0-9 _ . - (no ':' or braces)");
        }
    }

    public static KeyLayout defaults() {
        return new KeyLayout(DEFAULT_PREFIX);
    }

    private String tag(int partition) {
        return prefix + ":{" + partition + "}:";
    }

    public String record(int partition, String table, String encodedKey) {
        return tag(partition) + "r:" + table + ":" + encodedKey;
    }

    public String stream(int partition) {
        return tag(partition) + "s";
    }

    public String meta(int partition) {
        return tag(partition) + "m";
    }

    public String deadLetters(int partition) {
        return tag(partition) + "dlq";
    }

    public String lease(int partition) {
        return tag(partition) + "lease";
    }

    public String registry() {
        return prefix + ":registry";
    }

    public String config() {
        return prefix + ":config";
    }

    /** The pattern matching every key this layout owns, for SCAN. */
    public String allKeysPattern() {
        return prefix + ":*";
    }
}
