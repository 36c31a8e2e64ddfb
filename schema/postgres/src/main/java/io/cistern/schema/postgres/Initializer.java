package io.cistern.schema.postgres;

import io.cistern.schema.failure.PermanentException;
import io.cistern.schema.failure.SqlStates;
import io.cistern.schema.function.BufferLimits;
import io.cistern.schema.function.FunctionLibrary;
import io.cistern.schema.function.MemoryGuard;
import io.cistern.schema.registry.RedisRegistry;
import io.cistern.schema.registry.TableDef;
import io.cistern.schema.registry.TableRegistry;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Initialises (or upgrades) Cistern on a PostgreSQL database and a Redis: runs the migrations, fixes the partition
 * count, registers tables (adding {@code cistern_version}), publishes the registry to Redis, installs the Function
 * library and seeds each partition's version floor from PostgreSQL. Idempotent: running it again changes nothing but
 * what changed in the catalog.
 */
public final class Initializer {
    private static final Logger LOG = LoggerFactory.getLogger(Initializer.class);
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final String MIGRATIONS = "classpath:io/cistern/schema/postgres/migration/";

    private final DataSource dataSource;
    private final RedisClusterCommands<String, String> redis;
    private final java.util.function.Supplier<List<? extends RedisClusterCommands<String, String>>> masters;

    /** For a single Redis server (or a Sentinel-managed master). */
    public Initializer(DataSource dataSource, RedisCommands<String, String> redis) {
        this(dataSource, redis, () -> List.of(redis));
    }

    /**
     * For any topology: {@code redis} sends keyed commands to the server holding each key (on a Redis Cluster, a
     * cluster connection routing by slot), and {@code masters} gives each master's own commands, asked once per run,
     * for what lives on every server: the Function library is loaded on each master, and the memory guard is read
     * from each.
     */
    public Initializer(
            DataSource dataSource,
            RedisClusterCommands<String, String> redis,
            java.util.function.Supplier<List<? extends RedisClusterCommands<String, String>>> masters) {
        this.dataSource = java.util.Objects.requireNonNull(dataSource, "dataSource");
        this.redis = java.util.Objects.requireNonNull(redis, "redis");
        this.masters = java.util.Objects.requireNonNull(masters, "masters");
    }

    /** What an init did. */
    /**
     * What an init did.
     *
     * @param registry the registry it published
     * @param libraryRevision the Function library revision now in Redis (on every master of a cluster)
     * @param floors the version floors it seeded, by partition
     * @param limits the buffer limits now in force
     * @param changed what this init changed of what the last one recorded, one line a setting (empty when it kept
     *     everything)
     * @param memoryGuard the memory limit the Function enforces on this Redis now, and why ({@code limits} may say
     *     {@code auto}); on a cluster, the weakest of its masters' limits
     */
    public record Report(
            TableRegistry registry,
            int libraryRevision,
            Map<Integer, Long> floors,
            BufferLimits limits,
            List<String> changed,
            MemoryGuard.Limit memoryGuard) {}

    public Report run(InitOptions options) {
        migrate("cistern", "cistern_schema_history");
        if (options.demoTables()) {
            migrate("demo", "cistern_demo_schema_history");
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            int partitions = fixPartitions(c, options.partitions());
            BufferLimits recorded = readLimits(c);
            BufferLimits limits = options.limits().applyTo(recorded);
            recordLimits(c, limits);
            List<String> changed = LimitChanges.differences(recorded, limits);
            for (Map.Entry<String, String> t : options.register().entrySet()) {
                register(c, t.getKey(), t.getValue());
            }
            TableRegistry registry = readRegistry(c, partitions);
            Map<Integer, Long> floors = floors(c);
            c.commit();
            List<? extends RedisClusterCommands<String, String>> servers = masters.get();
            int revision = FunctionLibrary.REVISION;
            // The library before the registry and the floors: seeding a floor is a call of the library, on the
            // partition's master.
            for (RedisClusterCommands<String, String> master : servers) {
                revision = Math.min(revision, FunctionLibrary.install(master));
            }
            new RedisRegistry(redis, options.layout()).publish(registry, limits);
            for (Map.Entry<Integer, Long> f : floors.entrySet()) {
                redis.fcall(
                        FunctionLibrary.SEED_FUNCTION,
                        ScriptOutputType.INTEGER,
                        new String[] {options.layout().meta(f.getKey())},
                        Long.toString(f.getValue()));
            }
            LOG.info(
                    "initialised Cistern: {} partitions, tables {}, Function library {} revision {}, prefix '{}'",
                    partitions,
                    registry.tables().stream().map(TableDef::name).toList(),
                    FunctionLibrary.LIBRARY_NAME,
                    revision,
                    options.layout().prefix());
            if (!changed.isEmpty()) {
                LOG.info("init changed {}", String.join("; ", changed));
            }
            MemoryGuard.Limit guard = weakestGuard(limits, servers);
            return new Report(registry, revision, floors, limits, changed, guard);
        } catch (SQLException e) {
            throw new PermanentException("INIT_FAILED", "init failed in PostgreSQL: " + e.getMessage(), e);
        }
    }

    /**
     * The memory guard of each master (each enforces its own, from its own {@code INFO memory}), the weakest of them:
     * an unbounded one if any, else the one refusing writes at the fewest bytes.
     */
    private static MemoryGuard.Limit weakestGuard(
            BufferLimits limits, List<? extends RedisClusterCommands<String, String>> servers) {
        MemoryGuard.Limit weakest = null;
        for (RedisClusterCommands<String, String> master : servers) {
            MemoryGuard.Limit guard = MemoryGuard.effective(
                    limits.maxRedisMemoryBytes(), MemoryGuard.RedisMemory.parse(master.info("memory")));
            if (weakest == null || (weakest.bounded() && (!guard.bounded() || guard.bytes() < weakest.bytes()))) {
                weakest = guard;
            }
        }
        return weakest;
    }

    /**
     * The registry as PostgreSQL records it (the partition count, the registered tables read from the catalog),
     * without changing anything. For components that start after init, such as the sync worker.
     *
     * @throws PermanentException naming the fix when Cistern was never initialised in this database
     */
    public static TableRegistry registry(DataSource dataSource) {
        try (Connection c = dataSource.getConnection()) {
            Integer partitions = null;
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT value FROM cistern_settings WHERE name = 'partitions'")) {
                if (rs.next()) {
                    partitions = Integer.parseInt(rs.getString(1));
                }
            }
            if (partitions == null) {
                throw new PermanentException(
                        "NOT_INITIALISED",
                        "this database has no Cistern partition count; run `ops/cistern init`",
                        null);
            }
            return readRegistry(c, partitions);
        } catch (SQLException e) {
            if (SqlStates.classify(e).is(SqlStates.UNDEFINED_TABLE)) {
                throw new PermanentException(
                        "NOT_INITIALISED",
                        "Cistern's tables are missing from this database; run `ops/cistern init`",
                        e);
            }
            throw new PermanentException("REGISTRY_UNREADABLE", "cannot read the registry: " + e.getMessage(), e);
        }
    }

    /**
     * The buffer limits the last init published, as recorded in PostgreSQL, so that a sync worker re-publishing them
     * after Redis lost its data restores the operator's limits, not defaults. Defaults when none were recorded.
     */
    public static BufferLimits limits(DataSource dataSource) {
        try (Connection c = dataSource.getConnection()) {
            return readLimits(c);
        } catch (SQLException e) {
            if (!SqlStates.classify(e).is(SqlStates.UNDEFINED_TABLE)) { // no cistern_settings yet: nothing recorded
                throw new PermanentException(
                        "REGISTRY_UNREADABLE", "cannot read the buffer limits: " + e.getMessage(), e);
            }
            return BufferLimits.DEFAULTS;
        }
    }

    /** The recorded limits, the default of each one not recorded. */
    private static BufferLimits readLimits(Connection c) throws SQLException {
        Map<String, String> values = new LinkedHashMap<>();
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT name, value FROM cistern_settings WHERE name LIKE 'limit.%'")) {
            while (rs.next()) {
                values.put(rs.getString(1), rs.getString(2));
            }
        }
        BufferLimits d = BufferLimits.DEFAULTS;
        return new BufferLimits(
                Long.parseLong(values.getOrDefault("limit.max_backlog", Long.toString(d.maxBacklogPerPartition()))),
                memoryLimit(values.get("limit.max_memory")),
                Integer.parseInt(values.getOrDefault("limit.max_value", Integer.toString(d.maxValueBytes()))));
    }

    /**
     * The memory limit as recorded: {@code auto}, {@code off} or bytes. A {@code 0} was written by every init before
     * the derived guard existed, when it was the only default, so it reads as {@code auto}; an operator who turns the
     * guard off now is recorded as {@code off}.
     */
    static long memoryLimit(String recorded) {
        if (recorded == null || recorded.equals("auto") || recorded.equals("0")) {
            return BufferLimits.AUTO_MAX_REDIS_MEMORY;
        }
        return recorded.equals("off") ? 0 : Long.parseLong(recorded);
    }

    private static void recordLimits(Connection c, BufferLimits limits) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO cistern_settings (name, value) VALUES (?, ?)"
                + " ON CONFLICT (name) DO UPDATE SET value = excluded.value")) {
            for (Map.Entry<String, String> e : Map.of(
                            "limit.max_backlog", Long.toString(limits.maxBacklogPerPartition()),
                            "limit.max_memory", limits.memoryLimitText(),
                            "limit.max_value", Integer.toString(limits.maxValueBytes()))
                    .entrySet()) {
                ps.setString(1, e.getKey());
                ps.setString(2, e.getValue());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private void migrate(String location, String historyTable) {
        Flyway.configure()
                .dataSource(dataSource)
                .locations(MIGRATIONS + location)
                .table(historyTable)
                .baselineOnMigrate(true)
                .baselineVersion("0")
                .load()
                .migrate();
    }

    private static int fixPartitions(Connection c, OptionalInt requested) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO cistern_settings (name, value) VALUES ('partitions', ?) ON CONFLICT (name) DO NOTHING")) {
            ps.setString(1, Integer.toString(requested.orElse(InitOptions.DEFAULT_PARTITIONS)));
            ps.executeUpdate();
        }
        int partitions;
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT value FROM cistern_settings WHERE name = 'partitions'")) {
            rs.next();
            partitions = Integer.parseInt(rs.getString(1));
        }
        if (requested.isPresent() && partitions != requested.getAsInt()) {
            throw new PermanentException(
                    "PARTITIONS_CHANGED",
                    "this database was initialised with " + partitions + " partitions, not " + requested.getAsInt()
                            + "; changing the partition count is not supported yet (run init without --partitions,"
                            + " or with --partitions " + partitions + ")",
                    null);
        }
        try (PreparedStatement ps =
                c.prepareStatement("INSERT INTO cistern_partition (partition) SELECT g FROM generate_series(0, ? - 1) g"
                        + " ON CONFLICT (partition) DO NOTHING")) {
            ps.setInt(1, partitions);
            ps.executeUpdate();
        }
        return partitions;
    }

    /** Registers {@code table}, routed by {@code routeBy} (a leading key column) or by its whole key when blank. */
    private static void register(Connection c, String table, String routeBy) throws SQLException {
        if (!IDENTIFIER.matcher(table).matches()) {
            throw new IllegalArgumentException(
                    "table name '" + table + "' must be a plain lower-case identifier ([a-z_][a-z0-9_]*)");
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    throw new IllegalArgumentException("table '" + table
                            + "' does not exist in the current schema; create it first, then register it");
                }
            }
        }
        try (Statement s = c.createStatement()) {
            s.execute("ALTER TABLE " + table + " ADD COLUMN IF NOT EXISTS " + TableDef.VERSION_COLUMN
                    + " bigint NOT NULL DEFAULT 0");
        }
        TableDef def = CatalogReader.read(c, table, Integer.MAX_VALUE, Set.of()).orElseThrow();
        int routing = def.primaryKey().size();
        if (routeBy != null && !routeBy.isBlank()) {
            int idx = def.primaryKey().indexOf(routeBy);
            if (idx < 0) {
                throw new IllegalArgumentException("--route-by " + routeBy + ": table '" + table + "' has primary key "
                        + def.primaryKey() + "; route by one of its leading columns");
            }
            routing = idx + 1;
        }
        try (PreparedStatement ps =
                c.prepareStatement("INSERT INTO cistern_table (table_name, routing_columns) VALUES (?, ?)"
                        + " ON CONFLICT (table_name) DO UPDATE SET routing_columns = excluded.routing_columns")) {
            ps.setString(1, table);
            ps.setInt(2, routing);
            ps.executeUpdate();
        }
        LOG.info(
                "registered table '{}' (key {}, routed by {})",
                table,
                def.primaryKey(),
                def.primaryKey().subList(0, routing));
    }

    private static TableRegistry readRegistry(Connection c, int partitions) throws SQLException {
        Map<String, Integer> registered = new LinkedHashMap<>();
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT table_name, routing_columns FROM cistern_table ORDER BY 1")) {
            while (rs.next()) {
                registered.put(rs.getString(1), rs.getInt(2));
            }
        }
        Set<String> names = new LinkedHashSet<>(registered.keySet());
        List<TableDef> tables = new ArrayList<>();
        for (Map.Entry<String, Integer> t : registered.entrySet()) {
            tables.add(CatalogReader.read(c, t.getKey(), t.getValue(), names)
                    .orElseThrow(() -> new IllegalStateException("registered table '" + t.getKey()
                            + "' no longer exists; drop it from cistern_table or create it again")));
        }
        return new TableRegistry(partitions, tables);
    }

    private static Map<Integer, Long> floors(Connection c) throws SQLException {
        Map<Integer, Long> floors = new LinkedHashMap<>();
        try (Statement s = c.createStatement();
                ResultSet rs =
                        s.executeQuery("SELECT partition, version_floor FROM cistern_partition ORDER BY partition")) {
            while (rs.next()) {
                floors.put(rs.getInt(1), rs.getLong(2));
            }
        }
        return floors;
    }
}
