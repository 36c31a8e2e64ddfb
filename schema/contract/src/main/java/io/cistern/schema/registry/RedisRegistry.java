package io.cistern.schema.registry;

import io.cistern.schema.failure.PermanentException;
import io.cistern.schema.function.BufferLimits;
import io.cistern.schema.function.FunctionLibrary;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.wire.ConfigFields;
import io.cistern.schema.wire.MetaFields;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Publishes the table registry to Redis and reads it back, so writers never need the database.
 *
 * <p>What is published: {@code {prefix}:config} (partition count, protocol), {@code {prefix}:registry} (one JSON
 * {@link TableDef} per table), and in every partition's meta hash the buffer limits and a compact spec per table that
 * the Function library checks each write against: {@code t:{table} = "<routing> <keyColumns> ,col1,col2,...,"}, with
 * the registration's generation {@code g:{table}} ({@link RegistryCodec#generation}), which a writer sends with each
 * write so that the Function refuses one judged by an older registration ({@code CISTERN_STALE_REGISTRY}).
 */
public final class RedisRegistry {
    /** Most keys looked at for another prefix when the configured one holds no registry. */
    static final int PREFIX_SCAN_KEYS = 10_000;

    private static final int SCAN_PAGE = 1_000;
    private static final int MAX_OTHER_PREFIXES = 5;
    private final RedisClusterCommands<String, String> redis;
    private final KeyLayout layout;

    public RedisRegistry(RedisClusterCommands<String, String> redis, KeyLayout layout) {
        this.redis = redis;
        this.layout = layout;
    }

    /** Publishes the whole registry and the buffer limits. Idempotent. */
    public void publish(TableRegistry registry, BufferLimits limits) {
        int partitions = registry.partitions();
        String existing = redis.hget(layout.config(), ConfigFields.PARTITIONS);
        if (existing != null && Integer.parseInt(existing) != partitions) {
            throw new PermanentException(
                    "PARTITIONS_CHANGED",
                    "Redis (prefix '" + layout.prefix() + "') was initialised with " + existing
                            + " partitions, not " + partitions
                            + "; changing the partition count is not supported yet",
                    null);
        }
        redis.hset(
                layout.config(),
                Map.of(
                        ConfigFields.PARTITIONS,
                        Integer.toString(partitions),
                        ConfigFields.PROTOCOL,
                        Integer.toString(FunctionLibrary.PROTOCOL)));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(MetaFields.PARTITIONS, Integer.toString(partitions));
        meta.put(MetaFields.MAX_BACKLOG, Long.toString(limits.maxBacklogPerPartition()));
        meta.put(MetaFields.MAX_MEMORY, Long.toString(limits.maxRedisMemoryBytes()));
        meta.put(MetaFields.MAX_VALUE, Integer.toString(limits.maxValueBytes()));
        publishTables(registry, meta);
    }

    /**
     * Publishes the tables of {@code registry} (the registry hash and each partition's table specs for the Function),
     * leaving the partition count and the buffer limits as they are: for a component that reloaded the registry from
     * the catalog and must not undo an operator's limits. Tables missing from {@code registry} are left in place.
     */
    public void publishTables(TableRegistry registry) {
        publishTables(registry, new LinkedHashMap<>());
    }

    private void publishTables(TableRegistry registry, Map<String, String> meta) {
        Map<String, String> tables = new LinkedHashMap<>();
        for (TableDef t : registry.tables()) {
            String json = RegistryCodec.toJson(t);
            tables.put(t.name(), json);
            meta.put(MetaFields.tableSpec(t.name()), spec(t));
            meta.put(MetaFields.tableGeneration(t.name()), RegistryCodec.generation(json));
        }
        // The registry hash before the meta hashes, partition 0 first: a writer that a partition refuses as stale
        // (its g:<table> is newer than the writer's) reloads and finds the registration that partition holds.
        if (!tables.isEmpty()) {
            redis.hset(layout.registry(), tables);
        }
        if (!meta.isEmpty()) {
            for (int p = 0; p < registry.partitions(); p++) {
                redis.hset(layout.meta(p), meta);
            }
        }
        if (!tables.isEmpty()) {
            redis.hincrby(layout.config(), ConfigFields.REGISTRY_VERSION, 1);
        }
    }

    /**
     * Takes {@code table} out of the published registry: its spec and generation from every partition's meta hash
     * (writes to it are refused {@code CISTERN_UNKNOWN_TABLE} from then on), then its JSON, then the version moves.
     */
    public void unpublish(String table, int partitions) {
        for (int p = 0; p < partitions; p++) {
            redis.hdel(layout.meta(p), MetaFields.tableSpec(table), MetaFields.tableGeneration(table));
        }
        redis.hdel(layout.registry(), table);
        redis.hincrby(layout.config(), ConfigFields.REGISTRY_VERSION, 1);
    }

    /**
     * How many times the registry was published ({@link ConfigFields#REGISTRY_VERSION}; 0 before the first time): a
     * reader that saw it move since it loaded the registry loads it again. Read it before loading, so a publication
     * during the load is seen as a move the next time.
     */
    public long version() {
        String v = redis.hget(layout.config(), ConfigFields.REGISTRY_VERSION);
        return v == null ? 0 : Long.parseLong(v);
    }

    /**
     * Other prefixes Cistern is initialised under in this Redis, for the hint when the configured one is not: a
     * bounded {@code SCAN} (at most {@link #PREFIX_SCAN_KEYS} keys, on the failure path only), so a large Redis may
     * hide them. Empty when none is found or the scan is not allowed.
     */
    private List<String> otherPrefixes() {
        Set<String> found = new TreeSet<>();
        try {
            ScanCursor cursor = ScanCursor.INITIAL;
            int scanned = 0;
            do {
                KeyScanCursor<String> page =
                        redis.scan(cursor, ScanArgs.Builder.matches("*:config").limit(SCAN_PAGE));
                for (String key : page.getKeys()) {
                    String prefix = key.substring(0, key.length() - ":config".length());
                    if (!prefix.equals(layout.prefix())
                            && isPrefix(prefix)
                            && redis.hexists(key, ConfigFields.PARTITIONS)) {
                        found.add(prefix);
                    }
                }
                cursor = page;
                scanned += SCAN_PAGE;
            } while (!cursor.isFinished() && scanned < PREFIX_SCAN_KEYS && found.size() < MAX_OTHER_PREFIXES);
        } catch (RuntimeException e) {
            // Only a hint: an ACL without SCAN, or a timeout, leaves the plain "not initialised" message.
        }
        return found.stream().limit(MAX_OTHER_PREFIXES).toList();
    }

    private static boolean isPrefix(String candidate) {
        try {
            new KeyLayout(candidate);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * The compact table spec the Function library reads from a partition's meta hash: {@code <routing columns> <key
     * columns> ,<column>,<column>,} and, when the library judges some of the table's CHECK conditions, a space and
     * their JSON ({@link FunctionChecks}).
     */
    static String spec(TableDef t) {
        StringBuilder sb = new StringBuilder();
        sb.append(t.routingColumns()).append(' ').append(t.primaryKey().size()).append(" ,");
        for (ColumnDef c : t.columns()) {
            sb.append(c.name()).append(',');
        }
        FunctionChecks.json(t).ifPresent(checks -> sb.append(' ').append(checks));
        return sb.toString();
    }

    /**
     * Reads the registry.
     *
     * @throws PermanentException naming the fix when Cistern was never initialised in this Redis
     */
    public TableRegistry load() {
        String partitions = redis.hget(layout.config(), ConfigFields.PARTITIONS);
        if (partitions == null) {
            List<String> others = otherPrefixes();
            String prefix = layout.prefix();
            throw new PermanentException(
                    "NOT_INITIALISED",
                    others.isEmpty()
                            ? "Cistern is not initialised in this Redis under the prefix '" + prefix + "' (no "
                                    + layout.config() + "): run `ops/cistern init` (with CISTERN_PREFIX=" + prefix
                                    + ") against the same Redis and PostgreSQL, or check the prefix (CISTERN_PREFIX;"
                                    + " cistern.key-prefix in Spring Boot)"
                            : "Cistern is not initialised in this Redis under the prefix '" + prefix + "' (no "
                                    + layout.config() + "), but it is under "
                                    + others.stream().map(o -> "'" + o + "'").collect(Collectors.joining(", "))
                                    + ": set the prefix to the one meant (CISTERN_PREFIX; cistern.key-prefix in"
                                    + " Spring Boot), or run `ops/cistern init` with CISTERN_PREFIX=" + prefix
                                    + " against the same Redis and PostgreSQL",
                    null);
        }
        List<TableDef> tables = new ArrayList<>();
        Map<String, String> generations = new LinkedHashMap<>();
        for (String json : redis.hgetall(layout.registry()).values()) {
            TableDef t = RegistryCodec.fromJson(json);
            tables.add(t);
            generations.put(t.name(), RegistryCodec.generation(json));
        }
        return new TableRegistry(Integer.parseInt(partitions), tables, generations);
    }
}
