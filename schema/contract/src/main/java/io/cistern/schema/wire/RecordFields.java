package io.cistern.schema.wire;

/**
 * Field names and state values of a record hash {@code {prefix}:{p}:r:{table}:{key}} ({@link
 * io.cistern.schema.keys.KeyLayout#record}).
 */
public final class RecordFields {
    /**
     * Version of the latest write: written by the Function library and the reader's fills; read by the reader, the
     * sync worker (TTL after sync) and the dead-letter replayer.
     */
    public static final String VERSION = "v";
    /** State of the hash, one of the {@code STATE_*} values: written by the Function library and fills; read by the reader. */
    public static final String STATE = "s";
    /** Prefix of a column's field {@code c:<column>}, canonical JSON: written by the Function library and fills; read by the reader. */
    public static final String COLUMN_PREFIX = "c:";
    /** A fill reservation's token: written and read by the reader's fill scripts (RedisFills). */
    public static final String FILL_TOKEN = "f";
    /** State: the whole record (a put, or a fill from PostgreSQL): written by the Function library and fills; read by the reader. */
    public static final String STATE_PUT = "put";
    /** State: only patched columns: written by the Function library's patch; read by the reader (completes from PostgreSQL). */
    public static final String STATE_PATCH = "patch";
    /** State: deleted at {@link #VERSION}: written by the Function library's delete; read by the reader and patch. */
    public static final String STATE_DELETED = "deleted";
    /** State: a reader's fill reservation, no data: written by the reader (RedisFills); read by the reader. */
    public static final String STATE_FILL = "fill";

    private RecordFields() {}

    /** The field holding {@code column}'s value, {@code c:<column>}. */
    public static String column(String column) {
        return COLUMN_PREFIX + column;
    }
}
