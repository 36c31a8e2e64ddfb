package io.cistern.sync;

import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.wire.MetaFields;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which change-entry format the Function may write ({@link ChangeEntry#FORMAT_2} or {@link ChangeEntry#FORMAT_1}), so
 * that during a rolling upgrade no worker ever reads a format it does not know (DESIGN.md 3.2).
 *
 * <p>The census is the live workers' heartbeat set {@link KeyLayout#workers()}, which every sync worker of every release
 * joins (the embedded ones too). A worker of this release also announces itself in {@link
 * KeyLayout#entryFormatReaders(int) the format-2 readers' set} with the same lifetime, unless it runs with {@code
 * CISTERN_ENTRY_FORMAT=1}: so an older worker, and a worker told to keep format 1, are live workers that are not
 * readers. It announces itself there before its heartbeat, and reads the heartbeat set before the readers' set, so a
 * worker that joins is never seen live without being seen a reader.
 *
 * <p>The decision ({@link #decide}, pure): format 2 when this worker may write it and every live worker reads it,
 * else format 1. The worker then writes {@link MetaFields#ENTRY_FORMAT} ({@link #open}, {@link #closeAll}): format 2
 * into the meta hashes of the partitions it owns, at takeover and every lease renewal; format 1 into every partition's
 * meta hash, owned or not, once per change of the decision (an older worker may already own a partition whose gate a
 * new worker opened). Not thread-safe: used by the lease thread only.
 */
final class EntryFormatGate {
    private static final Logger LOG = LoggerFactory.getLogger(EntryFormatGate.class);

    private final KeyLayout layout;
    private final String workerId;
    /** {@link SyncSettings#entryFormat()}: the newest format this worker lets the Function write. */
    private final int allowed;

    /** The last decision, for the log; 0 before the first. */
    private int decided;
    /** Whether every partition's meta hash was set to format 1 since the decision became format 1. */
    private boolean closedAll;

    EntryFormatGate(KeyLayout layout, String workerId, int allowed) {
        this.layout = Objects.requireNonNull(layout, "layout");
        this.workerId = Objects.requireNonNull(workerId, "workerId");
        if (allowed < ChangeEntry.FORMAT_1 || allowed > ChangeEntry.NEWEST_FORMAT) {
            throw new IllegalArgumentException("entry format must be " + ChangeEntry.FORMAT_1 + " to "
                    + ChangeEntry.NEWEST_FORMAT + ", was " + allowed);
        }
        this.allowed = allowed;
    }

    /** Announces (or withdraws) this worker as a reader of format 2, before its heartbeat; returns the live readers. */
    List<String> announce(RedisClusterCommands<String, String> redis, Duration lifetime) {
        return LiveSet.touch(
                redis,
                layout.entryFormatReaders(ChangeEntry.FORMAT_2),
                workerId,
                lifetime,
                allowed >= ChangeEntry.FORMAT_2);
    }

    /**
     * The format the Function may write: {@link ChangeEntry#FORMAT_2} when {@code allowed} is and every one of the
     * {@code live} workers is among the {@code readers}, else {@link ChangeEntry#FORMAT_1}. Pure.
     */
    static int decide(int allowed, Collection<String> live, Collection<String> readers) {
        if (allowed < ChangeEntry.FORMAT_2) {
            return ChangeEntry.FORMAT_1;
        }
        return readers.containsAll(live) ? ChangeEntry.FORMAT_2 : ChangeEntry.FORMAT_1;
    }

    /**
     * Decides from this round's census, says so when the decision changed, and closes every partition's gate when the
     * decision is format 1 and they were not all closed yet.
     *
     * @return the decision
     */
    int update(
            RedisClusterCommands<String, String> redis,
            int partitions,
            Collection<String> live,
            Collection<String> readers) {
        int now = decide(allowed, live, readers);
        if (now != decided) {
            if (now == ChangeEntry.FORMAT_2) {
                LOG.info(
                        "sync worker {}: every live sync worker ({}) reads change-entry format 2; the Function writes"
                                + " it to the partitions this worker owns",
                        workerId,
                        live.size());
            } else if (allowed < ChangeEntry.FORMAT_2) {
                LOG.info(
                        "sync worker {}: change-entry format 1 on every partition ({}={})",
                        workerId,
                        SyncSettings.ENTRY_FORMAT_VARIABLE,
                        allowed);
            } else {
                Set<String> notReading = new TreeSet<>(live);
                notReading.removeAll(readers);
                LOG.warn(
                        "sync worker {}: live sync workers {} do not read change-entry format 2 (an older release, or"
                                + " {}=1); the Function writes format 1 to every partition until they are gone",
                        workerId,
                        notReading,
                        SyncSettings.ENTRY_FORMAT_VARIABLE);
            }
            decided = now;
            closedAll = false;
        }
        if (now == ChangeEntry.FORMAT_1 && !closedAll) {
            for (int p = 0; p < partitions; p++) {
                set(redis, p, ChangeEntry.FORMAT_1);
            }
            closedAll = true;
        }
        return now;
    }

    /** The format of the last decision; format 1 before the first. */
    int decided() {
        return decided == 0 ? ChangeEntry.FORMAT_1 : decided;
    }

    /** Writes {@code format} into partition {@code p}'s meta hash. */
    void set(RedisClusterCommands<String, String> redis, int partition, int format) {
        redis.hset(layout.meta(partition), MetaFields.ENTRY_FORMAT, Integer.toString(format));
    }
}
