package io.cistern.sync;

import io.cistern.schema.codec.ChangeEntry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes dead letters to {@code cistern_dead_letter} (migration V3), their record of truth, resolves them, deletes the
 * resolved ones past their retention (index of migration V4), and encodes the entry they hold. Stateless; thread-safe.
 *
 * <p>The entry is kept as {@code bytea}: its fields ({@code t}, {@code k}, {@code o}, {@code v}, {@code c:<column>}
 * or, for a malformed entry, whatever it held), each as a length-prefixed UTF-8 name and value, in stream order. A
 * value PostgreSQL refuses in {@code text} (a NUL byte) is kept byte for byte and replays as it was written. The
 * columns that repeat the entry for filtering ({@code table_name}, {@code record_key}, {@code op}, {@code reason})
 * are text: a NUL byte there is written {@code \0}.
 */
final class DeadLetterRows {
    static final String TABLE = "cistern_dead_letter";

    private static final String INSERT = "INSERT INTO " + TABLE
            + " (partition, entry_id, table_name, record_key, op, version, entry, reason, sqlstate, attempts, worker)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (partition, entry_id) DO NOTHING";

    private DeadLetterRows() {}

    /**
     * Inserts {@code deadLetters} of {@code partition} in the caller's transaction, in one round trip. A dead letter
     * already recorded for its entry (a retried batch) is left as it is.
     *
     * @return how many rows were new
     */
    static int insert(Connection connection, int partition, String worker, List<DeadLetter> deadLetters)
            throws SQLException {
        if (deadLetters.isEmpty()) {
            return 0;
        }
        try (PreparedStatement ps = connection.prepareStatement(INSERT)) {
            for (DeadLetter d : deadLetters) {
                bind(ps, partition, d.entryId(), d.fields(), d.reason(), d.sqlState(), d.attempts(), worker);
                ps.addBatch();
            }
            int added = 0;
            for (int n : ps.executeBatch()) {
                added += Math.max(0, n);
            }
            return added;
        }
    }

    private static final String RESOLVE = "UPDATE " + TABLE + " SET resolved_at = now(), resolution = ?"
            + " WHERE partition = ? AND entry_id = ? AND resolved_at IS NULL";
    private static final String FAILED_AGAIN = "UPDATE " + TABLE
            + " SET reason = ?, sqlstate = ?, attempts = attempts + 1, worker = ?"
            + " WHERE partition = ? AND entry_id = ? AND resolved_at IS NULL";
    private static final String DROP = "UPDATE " + TABLE + " SET resolved_at = now(), resolution = 'dropped'"
            + " WHERE id = ? AND resolved_at IS NULL";

    /**
     * In a replay's transaction: the open dead letters of {@code replayed} are resolved ({@code replayed}, or {@code
     * superseded} for the IDs in {@code superseded}); those among {@code failedAgain} stay open with the new reason,
     * SQLSTATE and one more attempt, recorded by {@code worker}.
     */
    static void settleReplay(
            Connection connection,
            int partition,
            String worker,
            List<ChangeEntry> replayed,
            List<DeadLetter> failedAgain,
            java.util.Set<String> superseded)
            throws SQLException {
        java.util.Set<String> failed = new java.util.HashSet<>();
        failedAgain.forEach(d -> failed.add(d.entryId()));
        try (PreparedStatement resolve = connection.prepareStatement(RESOLVE);
                PreparedStatement again = connection.prepareStatement(FAILED_AGAIN)) {
            for (ChangeEntry e : replayed) {
                if (failed.contains(e.id())) {
                    continue;
                }
                resolve.setString(1, superseded.contains(e.id()) ? "superseded" : "replayed");
                resolve.setInt(2, partition);
                resolve.setString(3, e.id());
                resolve.addBatch();
            }
            for (DeadLetter d : failedAgain) {
                again.setString(1, text(d.reason()));
                again.setString(2, d.sqlState());
                again.setString(3, text(worker));
                again.setInt(4, partition);
                again.setString(5, d.entryId());
                again.addBatch();
            }
            resolve.executeBatch();
            again.executeBatch();
        }
    }

    /** Marks the open dead letters with these row IDs dropped; returns the IDs that were open. */
    static java.util.Set<Long> drop(Connection connection, java.util.Collection<Long> ids) throws SQLException {
        java.util.Set<Long> dropped = new java.util.LinkedHashSet<>();
        try (PreparedStatement ps = connection.prepareStatement(DROP)) {
            List<Long> ordered = List.copyOf(ids);
            for (Long id : ordered) {
                ps.setLong(1, id);
                ps.addBatch();
            }
            int[] counts = ps.executeBatch();
            for (int i = 0; i < counts.length; i++) {
                if (counts[i] > 0) {
                    dropped.add(ordered.get(i));
                }
            }
        }
        return dropped;
    }

    private static final String OPEN_BY_PARTITION =
            "SELECT partition, count(*) FROM " + TABLE + " WHERE resolved_at IS NULL GROUP BY partition";

    /** How many open dead letters each partition has (partitions with none are absent). */
    static java.util.Map<Integer, Long> openByPartition(Connection connection) throws SQLException {
        java.util.Map<Integer, Long> counts = new java.util.TreeMap<>();
        try (PreparedStatement ps = connection.prepareStatement(OPEN_BY_PARTITION);
                java.sql.ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                counts.put(rs.getInt(1), rs.getLong(2));
            }
        }
        return counts;
    }

    private static final String NEWEST_OPEN =
            "SELECT id, partition, entry_id, reason, sqlstate, attempts, worker," + " created_at, entry FROM " + TABLE
                    + " WHERE resolved_at IS NULL ORDER BY created_at DESC, id DESC LIMIT ?";

    /** The newest {@code limit} open dead letters, newest first. */
    static List<RecordedDeadLetter> newestOpen(Connection connection, int limit) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(NEWEST_OPEN)) {
            ps.setInt(1, limit);
            return rows(ps);
        }
    }

    /** The open dead letters {@code filter} selects, oldest first, up to its limit. */
    static List<RecordedDeadLetter> open(Connection connection, DeadLetterFilter filter) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT id, partition, entry_id, reason, sqlstate, attempts, worker,"
                + " created_at, entry FROM " + TABLE + " WHERE resolved_at IS NULL");
        List<Object> args = new java.util.ArrayList<>();
        filter.partition().ifPresent(p -> {
            sql.append(" AND partition = ?");
            args.add(p);
        });
        if (!filter.ids().isEmpty()) {
            sql.append(" AND id = ANY (?)");
            args.add(filter.ids().toArray(Long[]::new));
        }
        filter.table().ifPresent(t -> {
            sql.append(" AND table_name = ?");
            args.add(t);
        });
        filter.sqlState().ifPresent(c -> {
            sql.append(" AND left(sqlstate, ?) = ?");
            args.add(c.length());
            args.add(c);
        });
        filter.reasonContaining().ifPresent(r -> {
            sql.append(" AND strpos(lower(reason), ?) > 0");
            args.add(r);
        });
        filter.from().ifPresent(f -> {
            sql.append(" AND created_at >= ?");
            args.add(java.sql.Timestamp.from(f));
        });
        filter.until().ifPresent(u -> {
            sql.append(" AND created_at < ?");
            args.add(java.sql.Timestamp.from(u));
        });
        sql.append(" ORDER BY created_at, id LIMIT ?");
        args.add(filter.limit());
        try (PreparedStatement ps = connection.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) {
                Object a = args.get(i);
                if (a instanceof Long[] ids) {
                    ps.setArray(i + 1, connection.createArrayOf("bigint", ids));
                } else {
                    ps.setObject(i + 1, a);
                }
            }
            return rows(ps);
        }
    }

    /** The rows of a query selecting id, partition, entry_id, reason, sqlstate, attempts, worker, created_at, entry. */
    private static List<RecordedDeadLetter> rows(PreparedStatement ps) throws SQLException {
        List<RecordedDeadLetter> found = new java.util.ArrayList<>();
        try (java.sql.ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                found.add(new RecordedDeadLetter(
                        rs.getLong(1),
                        rs.getInt(2),
                        rs.getString(3),
                        rs.getString(4),
                        rs.getString(5),
                        rs.getInt(6),
                        rs.getString(7),
                        rs.getTimestamp(8).toInstant(),
                        decode(rs.getBytes(9))));
            }
        }
        return found;
    }

    /**
     * The resolved rows older than the cutoff ({@code ?} milliseconds before the database's {@code now()}), at most
     * {@code ?} of them, locked; rows another purge has locked are skipped, so concurrent purges split the work instead
     * of waiting on each other. {@code resolved_at < cutoff} implies {@code resolved_at IS NOT NULL}: the partial index
     * of migration V4 finds them. Open rows ({@code resolved_at} null) never match.
     */
    private static final String RESOLVED_BEFORE = "SELECT id FROM " + TABLE
            + " WHERE resolved_at < now() - ? * interval '1 millisecond' LIMIT ? FOR UPDATE SKIP LOCKED";

    private static final String PURGE = "WITH doomed AS (" + RESOLVED_BEFORE + "), purged AS (DELETE FROM " + TABLE
            + " t USING doomed WHERE t.id = doomed.id RETURNING t.resolution)"
            + " SELECT resolution, count(*) FROM purged GROUP BY resolution";

    private static final String PURGEABLE = "SELECT resolution, count(*) FROM " + TABLE
            + " WHERE resolved_at < now() - ? * interval '1 millisecond' GROUP BY resolution";

    /**
     * Deletes up to {@code limit} dead letters resolved more than {@code olderThan} ago, by the database's clock (the
     * clock that wrote {@code resolved_at}), in the caller's transaction (one statement: with auto-commit, its own).
     *
     * @return how many were deleted, by resolution ({@code replayed}, {@code superseded}, {@code dropped})
     */
    static Map<String, Long> purgeResolved(Connection connection, java.time.Duration olderThan, int limit)
            throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(PURGE)) {
            ps.setLong(1, olderThan.toMillis());
            ps.setInt(2, limit);
            return countsByResolution(ps);
        }
    }

    /** How many dead letters {@link #purgeResolved} would delete, with no limit, by resolution. Changes nothing. */
    static Map<String, Long> purgeable(Connection connection, java.time.Duration olderThan) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(PURGEABLE)) {
            ps.setLong(1, olderThan.toMillis());
            return countsByResolution(ps);
        }
    }

    private static Map<String, Long> countsByResolution(PreparedStatement ps) throws SQLException {
        Map<String, Long> counts = new java.util.TreeMap<>();
        try (java.sql.ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                counts.put(rs.getString(1), rs.getLong(2));
            }
        }
        return counts;
    }

    private static final String IMPORT = "INSERT INTO " + TABLE
            + " (partition, entry_id, table_name, record_key, op, version, entry, reason, sqlstate, attempts, worker,"
            + " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT (partition, entry_id) DO NOTHING";

    /**
     * Copies letters of a partition's dead-letter stream (written before this table existed) into it, each at the
     * time its stream ID says; one already recorded for its entry is left as it is. Returns how many were new.
     */
    static int importFromStream(Connection connection, List<OpenDeadLetter> letters) throws SQLException {
        if (letters.isEmpty()) {
            return 0;
        }
        try (PreparedStatement ps = connection.prepareStatement(IMPORT)) {
            for (OpenDeadLetter l : letters) {
                // A letter without its entry ID (none were written so, but a hand-made one could be) keys by its own.
                String entryId = l.entryId().isEmpty() ? "dlq:" + l.id() : l.entryId();
                bind(ps, l.partition(), entryId, l.entry(), l.reason(), l.sqlState(), l.attempts(), l.worker());
                ps.setTimestamp(12, java.sql.Timestamp.from(l.recordedAt()));
                ps.addBatch();
            }
            int added = 0;
            for (int n : ps.executeBatch()) {
                added += Math.max(0, n);
            }
            return added;
        }
    }

    /** The text PostgreSQL accepts for {@code value}: a NUL byte written {@code \0}; null stays null. */
    static String text(String value) {
        return value == null ? null : value.replace("\0", "\\0");
    }

    private static Long version(String value) {
        try {
            return value == null ? null : Long.parseLong(value);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The entry's fields as bytes: per field, its name and its value, each a length and UTF-8 bytes. */
    static byte[] encode(Map<String, String> fields) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(fields.size());
            for (Map.Entry<String, String> e : fields.entrySet()) {
                write(out, e.getKey());
                write(out, e.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** The fields {@link #encode} wrote, in their order. */
    static Map<String, String> decode(byte[] encoded) {
        Map<String, String> fields = new LinkedHashMap<>();
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(encoded))) {
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                String name = read(in);
                fields.put(name, read(in));
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("a dead letter's entry is not in the form cistern_dead_letter keeps", e);
        }
        return fields;
    }

    private static void write(DataOutputStream out, String s) throws IOException {
        byte[] b = (s == null ? "" : s).getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String read(DataInputStream in) throws IOException {
        byte[] b = new byte[in.readInt()];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Binds parameters 1 to 11 of {@code INSERT} and {@code IMPORT}: one dead letter, its entry's fields repeated. */
    private static void bind(
            PreparedStatement ps,
            int partition,
            String entryId,
            Map<String, String> f,
            String reason,
            String sqlState,
            int attempts,
            String worker)
            throws SQLException {
        ps.setInt(1, partition);
        ps.setString(2, entryId);
        ps.setString(3, text(f.get(ChangeEntry.TABLE)));
        ps.setString(4, text(f.get(ChangeEntry.KEY)));
        ps.setString(5, text(f.get(ChangeEntry.OP)));
        Long version = version(f.get(ChangeEntry.VERSION));
        if (version == null) {
            ps.setNull(6, Types.BIGINT);
        } else {
            ps.setLong(6, version);
        }
        ps.setBytes(7, encode(f));
        ps.setString(8, text(reason));
        ps.setString(9, sqlState);
        ps.setInt(10, attempts);
        ps.setString(11, text(worker));
    }
}
