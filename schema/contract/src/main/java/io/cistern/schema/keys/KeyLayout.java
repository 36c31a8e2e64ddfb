package io.cistern.schema.keys;

import java.util.regex.Pattern;

/**
 * Cistern's Redis key names. Every key of partition {@code p} carries the hash tag {@code {p}}, so a partition lives in
 * one Redis Cluster slot and one Function call can touch all of its keys atomically.
 *
 * <pre>
 * {prefix}:{p}:r:{table}:{encodedKey}  record hash: latest state, version, state marker
 * {prefix}:{p}:s                       the partition's change stream
 * {prefix}:{p}:m                       partition meta: version floor, sequence, limits, table specs, applied watermark
 * {prefix}:{p}:dlq                     the partition's dead-letter stream
 * {prefix}:{p}:dlqkeys                 set of record hash keys with an open dead letter (their hashes never expire)
 * {prefix}:{p}:lease                   the partition's lease: which sync worker should work on it
 * {prefix}:registry                    table definitions (JSON per table)
 * {prefix}:config                      partition count and protocol version
 * {prefix}:workers                     live sync workers: sorted set of worker IDs scored by heartbeat expiry (ms)
 * {prefix}:pools                       live PostgreSQL pools: sorted set of pool descriptions scored by expiry (ms)
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

    /**
     * The set of record hash keys ({@link #record}) of partition {@code p} that have an open dead letter: the sync
     * worker adds a key when it dead-letters one of its entries, and never lets such a hash expire; resolving the dead
     * letter (replay or discard) removes the key.
     */
    public String deadLetterKeys(int partition) {
        return tag(partition) + "dlqkeys";
    }

    public String lease(int partition) {
        return tag(partition) + "lease";
    }

    /**
     * The live sync workers: a sorted set of worker IDs, each scored with the Redis time (ms) at which its heartbeat
     * expires. Workers count the live members to share the partitions evenly. Not tied to a partition (no hash tag).
     */
    public String workers() {
        return prefix + ":workers";
    }

    /**
     * The live sync workers that read change-entry format {@code format} ({@code io.cistern.schema.codec.ChangeEntry}):
     * a sorted set of worker IDs scored like {@link #workers()}, announced by each worker of a release that reads it
     * (unless told to keep the older format). The Function writes a format only to partitions whose owner saw every
     * live worker of {@link #workers()} here (docs/operations.md, "Upgrades and the change-entry format"). Not tied to a partition (no hash tag).
     */
    public String entryFormatReaders(int format) {
        return prefix + ":workers:e" + format;
    }

    /**
     * The PostgreSQL pools of the live Cistern processes: a sorted set of pool descriptions ({@link
     * io.cistern.schema.pools.DatabasePool#encode()}), each scored with the Redis time (ms) at which its announcement
     * expires. {@code ops/cistern doctor} adds them up against {@code max_connections}. Not tied to a partition (no hash
     * tag).
     */
    public String pools() {
        return prefix + ":pools";
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
