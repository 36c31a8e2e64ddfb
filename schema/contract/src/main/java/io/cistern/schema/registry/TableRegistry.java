package io.cistern.schema.registry;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An immutable snapshot of the synced tables and the partition count, as published to Redis by {@code ops/cistern
 * init}. Thread-safe.
 */
public final class TableRegistry {
    private final int partitions;
    private final Map<String, TableDef> tables;
    /** Each table's generation as published ({@link RegistryCodec#generation}); empty for a registry not read from Redis. */
    private final Map<String, String> generations;

    public TableRegistry(int partitions, Collection<TableDef> tables) {
        this(partitions, tables, Map.of());
    }

    /**
     * A registry read from Redis, with the generation each table was published under ({@link RedisRegistry#load()}).
     * The generations are not part of equality: two registries with the same definitions are equal.
     */
    public TableRegistry(int partitions, Collection<TableDef> tables, Map<String, String> generations) {
        if (partitions < 1 || partitions > 16_384) {
            throw new IllegalArgumentException("partition count must be between 1 and 16384, was " + partitions);
        }
        this.partitions = partitions;
        Map<String, TableDef> byName = new TreeMap<>();
        for (TableDef t : tables) {
            if (byName.put(t.name(), t) != null) {
                throw new IllegalArgumentException("table '" + t.name() + "' is registered twice");
            }
        }
        this.tables = Map.copyOf(byName);
        this.generations = Map.copyOf(generations);
    }

    /** The generation {@code table} was published under, when this registry was read from Redis. */
    public Optional<String> generation(String table) {
        return Optional.ofNullable(generations.get(table));
    }

    public int partitions() {
        return partitions;
    }

    public Optional<TableDef> table(String name) {
        return Optional.ofNullable(tables.get(name));
    }

    /** All registered tables, sorted by name. */
    public Collection<TableDef> tables() {
        return new TreeMap<>(tables).values();
    }

    @Override
    public String toString() {
        return "TableRegistry[partitions=" + partitions + ", tables=" + new TreeMap<>(tables).keySet() + "]";
    }

    /** Equal when the partition count and every table's definition are. */
    @Override
    public boolean equals(Object o) {
        return o instanceof TableRegistry other && partitions == other.partitions && tables.equals(other.tables);
    }

    @Override
    public int hashCode() {
        return 31 * partitions + tables.hashCode();
    }
}
