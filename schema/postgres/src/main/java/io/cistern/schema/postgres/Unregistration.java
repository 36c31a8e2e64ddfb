package io.cistern.schema.postgres;

import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.failure.PermanentException;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.registry.RedisRegistry;
import io.cistern.schema.wire.MetaFields;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a table out of Cistern ({@code ops/cistern unregister}): its row in {@code cistern_table}, its entry in the
 * Redis registry and its spec in every partition's meta hash, so the Function refuses writes to it ({@code
 * CISTERN_UNKNOWN_TABLE}) and every component forgets it on its next reload. Refused while the table has entries not
 * yet synced or open dead letters, unless forced: those writes would then never reach PostgreSQL. The table itself,
 * its rows and its {@code cistern_version} column are left as they are.
 *
 * <p>A write that races the unregistration (sent before the Function forgot the table) is dead-lettered as {@code
 * unknown table} by the sync worker.
 */
public final class Unregistration {
    private static final Logger LOG = LoggerFactory.getLogger(Unregistration.class);
    private static final int PAGE = 1000;

    private final DataSource dataSource;
    private final RedisClusterCommands<String, String> redis;
    private final KeyLayout layout;

    public Unregistration(DataSource dataSource, RedisClusterCommands<String, String> redis, KeyLayout layout) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.redis = Objects.requireNonNull(redis, "redis");
        this.layout = Objects.requireNonNull(layout, "layout");
    }

    /**
     * What an unregistration found.
     *
     * @param table the table
     * @param unsyncedEntries its entries on the partition streams past the applied watermarks
     * @param openDeadLetters its open dead letters
     */
    public record Found(String table, long unsyncedEntries, long openDeadLetters) {
        /** Whether anything of the table is still on its way to PostgreSQL. */
        public boolean inUse() {
            return unsyncedEntries > 0 || openDeadLetters > 0;
        }
    }

    /**
     * Counts what of {@code table} is not yet in PostgreSQL, without changing anything.
     *
     * @throws PermanentException {@code UNKNOWN_TABLE} when the table is not registered
     */
    public Found inspect(String table) {
        return inspect(table, partitions(table));
    }

    private Found inspect(String table, int partitions) {
        long unsynced = 0;
        for (int p = 0; p < partitions; p++) {
            unsynced += unsyncedEntries(p, table);
        }
        return new Found(table, unsynced, openDeadLetters(table));
    }

    /**
     * Unregisters {@code table}.
     *
     * @param force unregister even with entries not yet synced or open dead letters (they are left where they are,
     *     and are dead-lettered as {@code unknown table} or stay dead-lettered)
     * @return what it found
     * @throws PermanentException {@code UNKNOWN_TABLE} when it is not registered; {@code TABLE_IN_USE} when it has
     *     unsynced entries or open dead letters and {@code force} is false (nothing is changed)
     */
    public Found unregister(String table, boolean force) {
        int partitions = partitions(table);
        Found found = inspect(table, partitions);
        if (found.inUse() && !force) {
            throw new PermanentException(
                    "TABLE_IN_USE",
                    "table '" + table + "' has " + found.unsyncedEntries() + " entries not yet synced and "
                            + found.openDeadLetters() + " open dead letters; wait until"
                            + " `ops/cistern lag` shows the partitions caught up, replay or drop the dead letters"
                            + " (`ops/cistern dlq`), or pass --force to unregister it anyway (those writes then never"
                            + " reach PostgreSQL)",
                    null);
        }
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM cistern_table WHERE table_name = ?")) {
            ps.setString(1, table);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new PermanentException(
                    "UNREGISTER_FAILED", "unregistering '" + table + "' failed in PostgreSQL: " + e.getMessage(), e);
        }
        new RedisRegistry(redis, layout).unpublish(table, partitions);
        LOG.info(
                "unregistered table '{}' ({} entries not yet synced, {} open dead letters{})",
                table,
                found.unsyncedEntries(),
                found.openDeadLetters(),
                found.inUse() ? ", forced" : "");
        return found;
    }

    /** The partition count, after checking that {@code table} is registered. */
    private int partitions(String table) {
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM cistern_table WHERE table_name = ?")) {
                ps.setString(1, table);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new PermanentException(
                                "UNKNOWN_TABLE",
                                "table '" + table + "' is not registered with Cistern; `ops/cistern doctor` lists the"
                                        + " registered tables",
                                null);
                    }
                }
            }
            try (PreparedStatement ps =
                            c.prepareStatement("SELECT value FROM cistern_settings WHERE name = 'partitions'");
                    ResultSet rs = ps.executeQuery()) {
                rs.next();
                return Integer.parseInt(rs.getString(1));
            }
        } catch (SQLException e) {
            throw new PermanentException(
                    "UNREGISTER_FAILED", "reading the registration of '" + table + "' failed: " + e.getMessage(), e);
        }
    }

    /** Entries of {@code table} past the partition's applied watermark, read in pages. */
    private long unsyncedEntries(int partition, String table) {
        String applied = redis.hget(layout.meta(partition), MetaFields.APPLIED);
        String from = applied == null ? "0-0" : applied;
        long count = 0;
        while (true) {
            List<StreamMessage<String, String>> page = redis.xrange(
                    layout.stream(partition),
                    Range.from(Range.Boundary.excluding(from), Range.Boundary.unbounded()),
                    Limit.create(0, PAGE));
            for (StreamMessage<String, String> m : page) {
                if (table.equals(ChangeEntry.tableOf(m.getBody()))) {
                    count++;
                }
            }
            if (page.size() < PAGE) {
                return count;
            }
            from = page.getLast().getId();
        }
    }

    /** The table's open dead letters, as PostgreSQL records them ({@code cistern_dead_letter}, the record of truth). */
    private long openDeadLetters(String table) {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT count(*) FROM cistern_dead_letter WHERE table_name = ? AND resolved_at IS NULL")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new PermanentException(
                    "UNREGISTER_FAILED",
                    "counting the open dead letters of '" + table + "' failed: " + e.getMessage(),
                    e);
        }
    }
}
