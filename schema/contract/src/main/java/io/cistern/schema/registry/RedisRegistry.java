package io.cistern.schema.registry;

import io.cistern.schema.failure.PermanentException;
import io.cistern.schema.function.BufferLimits;
import io.cistern.schema.function.FunctionLibrary;
import io.cistern.schema.keys.KeyLayout;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Publishes the table registry to Redis and reads it back, so writers never need the database.
 *
 * <p>What is published: {@code {prefix}:config} (partition count, protocol), {@code {prefix}:registry} (one JSON
 * {@link TableDef} per table), and in every partition's meta hash the buffer limits and a compact spec per table that
 * the Function library checks each write against: {@code t:{table} = "<routing> <keyColumns> ,col1,col2,...,"}.
 */
public final class RedisRegistry {
    private final RedisCommands<String, String> redis;
    private final KeyLayout layout;

    public RedisRegistry(RedisCommands<String, String> redis, KeyLayout layout) {
        this.redis = redis;
        this.layout = layout;
    }

    /** Publishes the whole registry and the buffer limits. Idempotent. */
    public void publish(TableRegistry registry, BufferLimits limits) {
        int partitions = registry.partitions();
        String existing = redis.hget(layout.config(), "partitions");
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
                        "partitions",
                        Integer.toString(partitions),
                        "protocol",
                        Integer.toString(FunctionLibrary.PROTOCOL)));
        Map<String, String> tables = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("partitions", Integer.toString(partitions));
        meta.put("max_backlog", Long.toString(limits.maxBacklogPerPartition()));
        meta.put("max_memory", Long.toString(limits.maxRedisMemoryBytes()));
        meta.put("max_value", Integer.toString(limits.maxValueBytes()));
        for (TableDef t : registry.tables()) {
            tables.put(t.name(), RegistryCodec.toJson(t));
            meta.put("t:" + t.name(), spec(t));
        }
        if (!tables.isEmpty()) {
            redis.hset(layout.registry(), tables);
        }
        for (int p = 0; p < partitions; p++) {
            redis.hset(layout.meta(p), meta);
        }
    }

    /** The compact table spec the Function library reads from a partition's meta hash. */
    static String spec(TableDef t) {
        StringBuilder sb = new StringBuilder();
        sb.append(t.routingColumns()).append(' ').append(t.primaryKey().size()).append(" ,");
        for (ColumnDef c : t.columns()) {
            sb.append(c.name()).append(',');
        }
        return sb.toString();
    }

    /**
     * Reads the registry.
     *
     * @throws PermanentException naming the fix when Cistern was never initialised in this Redis
     */
    public TableRegistry load() {
        String partitions = redis.hget(layout.config(), "partitions");
        if (partitions == null) {
            throw new PermanentException(
                    "NOT_INITIALISED",
                    "Cistern is not initialised in this Redis (no " + layout.config()
                            + "); run `ops/cistern init` against the same Redis and PostgreSQL",
                    null);
        }
        List<TableDef> tables = new ArrayList<>();
        for (String json : redis.hgetall(layout.registry()).values()) {
            tables.add(RegistryCodec.fromJson(json));
        }
        return new TableRegistry(Integer.parseInt(partitions), tables);
    }
}
