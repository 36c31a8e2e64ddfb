package io.cistern.schema.codec;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The format-2 codec of {@link ChangeEntry} (its class comment has the grammar): one field {@code
 * e2:<op>:<table>:<columns>} whose value packs the version, the key and the column values, each length-prefixed in
 * UTF-8 bytes (what Lua's {@code #s} counts). The field name's shape (operation, table, column names) is parsed once
 * per distinct name and shared by every entry that has it; a value is decoded from its UTF-8 bytes, so a length never
 * has to be mapped onto Java's UTF-16 characters. Thread-safe: the shape cache holds immutable shapes, and a lost race
 * only parses a name twice.
 */
final class PackedEntry {
    /** The operation, table and columns a format-2 field name spells. */
    private record Shape(Operation op, String table, String[] columns) {}

    private static final Map<String, Shape> SHAPES = new ConcurrentHashMap<>();
    private static final int MAX_CACHED_SHAPES = 10_000;
    /** A decimal length of more digits than this is longer than any Redis string (512 MB). */
    private static final int MAX_LENGTH_DIGITS = 9;
    /** 18 digits always fit a long; versions stop at 2^53 - 1 (16 digits). */
    private static final int MAX_VERSION_DIGITS = 18;

    private PackedEntry() {}

    static ChangeEntry decode(String id, String name, String value) {
        Shape shape = shape(id, name);
        if (value == null) {
            throw malformed(id, "has no value");
        }
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        int n = b.length;
        int at = 0;
        long version = 0;
        while (at < n && b[at] != ':') {
            int d = b[at] - '0';
            if (d < 0 || d > 9 || at == MAX_VERSION_DIGITS) {
                throw malformed(id, "does not start with a decimal version and ':'");
            }
            version = version * 10 + d;
            at++;
        }
        if (at == 0 || at == n) {
            throw malformed(id, "does not start with a decimal version and ':'");
        }
        Items items = new Items(b, at + 1, id);
        String[] names = shape.columns();
        String key = items.next(names, -1);
        LinkedHashMap<String, String> columns = LinkedHashMap.newLinkedHashMap(names.length);
        for (int i = 0; i < names.length; i++) {
            columns.put(names[i], items.next(names, i));
        }
        if (items.at != n) {
            throw malformed(
                    id,
                    "has " + (n - items.at) + " bytes after the value of its last column (the name lists "
                            + names.length + " columns)");
        }
        return ChangeEntry.owning(id, shape.table(), key, shape.op(), version, columns);
    }

    /** Reads the length-prefixed items of one value in order. Confined to one {@link #decode} call. */
    private static final class Items {
        private final byte[] b;
        private final String id;
        private int at;

        Items(byte[] b, int at, String id) {
            this.b = b;
            this.at = at;
            this.id = id;
        }

        /** The next item: the key ({@code column} -1) or the value of {@code names[column]}. */
        String next(String[] names, int column) {
            int n = b.length;
            int length = 0;
            int start = at;
            while (at < n && b[at] != ':') {
                int d = b[at] - '0';
                if (d < 0 || d > 9 || at - start == MAX_LENGTH_DIGITS) {
                    throw malformed(id, "has no byte length before " + what(names, column));
                }
                length = length * 10 + d;
                at++;
            }
            if (at == start || at == n) {
                throw malformed(id, "ends before " + what(names, column));
            }
            at++;
            if (length > n - at) {
                throw malformed(
                        id,
                        "ends inside " + what(names, column) + " (" + length + " bytes announced, " + (n - at)
                                + " left)");
            }
            String s = new String(b, at, length, StandardCharsets.UTF_8);
            at += length;
            return s;
        }
    }

    private static String what(String[] names, int column) {
        return column < 0 ? "the key" : "the value of column " + names[column];
    }

    /** Throws when {@code name} is the field of an entry format this release does not read ({@code e<N>[:...]}). */
    static void refuseNewerFormat(String id, String name) {
        if (name.length() < 2 || name.charAt(0) != 'e') {
            return;
        }
        int end = name.indexOf(':');
        String digits = end < 0 ? name.substring(1) : name.substring(1, end);
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return;
        }
        if (digits.length() < 3 && Integer.parseInt(digits) <= ChangeEntry.NEWEST_FORMAT) {
            throw new IllegalArgumentException(
                    "entry " + id + ": field '" + name + "' is not a format-2 field name e2:<op>:<table>:<columns>");
        }
        throw new IllegalArgumentException("entry " + id + " is in entry format " + digits + " (field '" + name
                + "'), written by a newer Cistern; this sync worker reads formats " + ChangeEntry.FORMAT_1 + " to "
                + ChangeEntry.NEWEST_FORMAT + ": upgrade the sync worker, then replay the dead letter");
    }

    static String fieldName(ChangeEntry e) {
        return ChangeEntry.PACKED_PREFIX + e.op().wire() + ":" + e.table() + ":"
                + String.join(",", e.columns().keySet());
    }

    static String value(ChangeEntry e) {
        StringBuilder out = new StringBuilder().append(e.version()).append(':');
        item(out, e.key());
        e.columns().values().forEach(v -> item(out, v));
        return out.toString();
    }

    private static void item(StringBuilder out, String s) {
        out.append(s.getBytes(StandardCharsets.UTF_8).length).append(':').append(s);
    }

    private static Shape shape(String id, String name) {
        Shape shape = SHAPES.get(name);
        if (shape == null) {
            shape = parseShape(id, name);
            if (SHAPES.size() < MAX_CACHED_SHAPES) {
                SHAPES.putIfAbsent(name, shape);
            }
        }
        return shape;
    }

    private static Shape parseShape(String id, String name) {
        int opEnd = name.indexOf(':', ChangeEntry.PACKED_PREFIX.length());
        int tableEnd = opEnd < 0 ? -1 : name.indexOf(':', opEnd + 1);
        if (tableEnd < 0 || tableEnd == opEnd + 1) {
            throw new IllegalArgumentException(
                    "entry " + id + ": field '" + name + "' is not a format-2 field name e2:<op>:<table>:<columns>");
        }
        Operation op;
        try {
            op = Operation.fromWire(name.substring(ChangeEntry.PACKED_PREFIX.length(), opEnd));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("entry " + id + ": field '" + name + "': " + e.getMessage(), e);
        }
        String table = name.substring(opEnd + 1, tableEnd);
        String list = name.substring(tableEnd + 1);
        String[] columns = list.isEmpty() ? new String[0] : list.split(",", -1);
        for (String c : columns) {
            if (c.isEmpty()) {
                throw new IllegalArgumentException(
                        "entry " + id + ": field '" + name + "' has an empty column name in its list");
            }
        }
        return new Shape(op, table.intern(), columns);
    }

    private static IllegalArgumentException malformed(String id, String what) {
        return new IllegalArgumentException("entry " + id + ": the value of its format-2 field " + what);
    }
}
