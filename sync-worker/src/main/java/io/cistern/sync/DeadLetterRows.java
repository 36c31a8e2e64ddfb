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
 * Writes dead letters to {@code cistern_dead_letter} (migration V3), their record of truth, and encodes the entry they
 * hold. Stateless; thread-safe.
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
                Map<String, String> f = d.fields();
                ps.setInt(1, partition);
                ps.setString(2, d.entryId());
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
                ps.setString(8, text(d.reason()));
                ps.setString(9, d.sqlState());
                ps.setInt(10, d.attempts());
                ps.setString(11, text(worker));
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
}
