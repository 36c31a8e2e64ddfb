package io.cistern.schema.wire;

/**
 * Field names of a partition's meta hash {@code {prefix}:{p}:m} ({@link io.cistern.schema.keys.KeyLayout#meta}).
 * The Function library reads most of them on every write; see docs/protocol.md.
 */
public final class MetaFields {
    /** Version floor: written by the sync worker and {@code ops/cistern init} (cistern_confirm_v1); read by every write. */
    public static final String FLOOR = "floor";
    /** Last version issued in the partition: written by every write (Function library); read by the next write. */
    public static final String SEQ = "seq";
    /**
     * Applied watermark, a stream entry ID: written by the sync worker after each batch; read by flush barriers,
     * health indicators, {@code ops/cistern} status and benchmarks.
     */
    public static final String APPLIED = "applied";
    /** Partition count: written by {@code ops/cistern init} (RedisRegistry); read by every write and by health checks. */
    public static final String PARTITIONS = "partitions";
    /** Backlog limit per partition (0: none): written by {@code ops/cistern init}; read by every write and health. */
    public static final String MAX_BACKLOG = "max_backlog";
    /** Redis memory limit in bytes (0: none): written by {@code ops/cistern init}; read by every write. */
    public static final String MAX_MEMORY = "max_memory";
    /** Largest value of one column in bytes: written by {@code ops/cistern init}; read by every write and the writer. */
    public static final String MAX_VALUE = "max_value";
    /**
     * Prefix of a table's compact spec field {@code t:<table>}: written by {@code ops/cistern init} (RedisRegistry);
     * read by every write of the table.
     */
    public static final String TABLE_SPEC_PREFIX = "t:";
    /**
     * Prefix of a table's generation field {@code g:<table>}: the digest of the table's registration as published
     * ({@code RegistryCodec.generation}), written with the spec by {@code ops/cistern init} and by a worker that
     * reloaded the catalog (RedisRegistry); read by every write that names the generation it was judged by.
     */
    public static final String TABLE_GENERATION_PREFIX = "g:";
    /**
     * Which change-entry format the Function writes to this partition ({@code 2}: {@link
     * io.cistern.schema.codec.ChangeEntry#FORMAT_2}; absent or anything else: format 1): written by the sync worker
     * that owns the partition, at takeover and every lease renewal, and set back to 1 on every partition by any worker
     * that sees a live worker not reading format 2 ({@code SyncWorker}'s entry-format gate); read by every write in the
     * meta hash read it already does, so an old worker never meets a format it cannot read (docs/operations.md, "Upgrades and the change-entry format").
     */
    public static final String ENTRY_FORMAT = "entry_format";

    /** Present while paused, naming who paused it: written by {@code ops/cistern pause}; read by the sync worker. */
    public static final String PAUSED = "paused";
    /** The worker that last took the partition: written by the sync worker at takeover; read by {@code ops}. */
    public static final String OWNER = "owner";
    /** Fencing token of the last takeover: written by the sync worker at takeover; read by {@code ops}. */
    public static final String OWNER_TOKEN = "owner-token";
    /** When the partition was last taken (Redis time, ms): written by the sync worker at takeover; read by {@code ops}. */
    public static final String OWNER_SINCE = "owner-since";

    /**
     * Why the partition's last batch attempt failed, cut to one line of at most 300 characters, classified by the
     * failure taxonomy ({@code CONNECTION (SQLSTATE 08006): ...}) and never holding a password or a URL's credentials:
     * written by the sync worker when a batch attempt fails, removed by its next committed batch; read by {@code ops}
     * status, readiness and the dashboard, which name it when the partition stalls.
     */
    public static final String LAST_ERROR = "last_error";
    /**
     * When {@link #LAST_ERROR} happened (the worker's clock, epoch ms): written and removed with it; read by {@code ops}.
     */
    public static final String LAST_ERROR_AT = "last_error_at";

    private MetaFields() {}

    /** The field holding {@code table}'s generation, {@code g:<table>}. */
    public static String tableGeneration(String table) {
        return TABLE_GENERATION_PREFIX + table;
    }

    /** The field holding {@code table}'s spec, {@code t:<table>}. */
    public static String tableSpec(String table) {
        return TABLE_SPEC_PREFIX + table;
    }
}
