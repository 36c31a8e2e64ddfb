package io.cistern.sync;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.PrivateRedisCluster;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.codec.Operation;
import io.cistern.schema.function.FunctionLibrary;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.keys.RecordAddress;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.schema.registry.TableRegistry;
import io.cistern.schema.wire.MetaFields;
import io.cistern.writer.WriteReceipt;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A test class's own Cistern: a fresh database and Redis prefix, initialised with the demo tables and 4 partitions (or as many as asked), a
 * small pool, and helpers to make change entries and read rows back.
 *
 * <p>With the system property {@value #REDIS_PROPERTY}{@code =cluster} (the failsafe execution {@code on-redis-cluster})
 * the worker's Redis is the private Redis Cluster ({@link PrivateRedisCluster#shared()}) under a prefix of the test's
 * own, initialised there by {@link Initializer} as {@code ops/cistern init} does on a cluster: {@link #client()} is a
 * cluster client, {@link #commands()} route by slot, {@link #serverOf} is the master of a key and {@link #redisUrl()}
 * the {@code redis-cluster://} URL a {@code RecordWriter} connects to.
 */
final class SyncFixture implements AutoCloseable {
    static final int PARTITIONS = 4;
    /** {@code cluster} runs the worker against the private Redis Cluster; anything else, the shared Redis. */
    static final String REDIS_PROPERTY = "cistern.test.redis";

    final TestDatabase db;
    /** The shared Redis under the test's prefix; unused on a cluster run (left for tests that skip it there). */
    final TestRedis redis;

    final KeyLayout layout;
    final TableRegistry registry;
    final HikariDataSource dataSource;
    private final AtomicLong clock = new AtomicLong(1_700_000_000_000L);
    /** The cluster, on a cluster run; null otherwise. */
    private final RedisDeployment cluster;

    private final AbstractRedisClient clusterClient;

    SyncFixture(String hint) {
        this(hint, PARTITIONS);
    }

    SyncFixture(String hint, int partitions) {
        db = TestDatabase.create(hint);
        redis = TestRedis.create(hint);
        // Directly, or through PgBouncer when the tests run behind a pooler (TestDatabase.POOLER_PROPERTY).
        HikariConfig config = db.poolConfig("test-" + hint);
        config.setMaximumPoolSize(4);
        dataSource = new HikariDataSource(config);
        if (onCluster()) {
            layout = new KeyLayout(PrivateRedisCluster.newPrefix(hint));
            RedisSettings settings =
                    RedisSettings.of(PrivateRedisCluster.shared().url());
            cluster = RedisDeployment.open(settings);
            // As `ops/cistern init` does on a cluster: the library on every master, each partition's meta and
            // confirmed floor on the master of its slot.
            registry = initializer()
                    .run(InitOptions.defaults(layout).withPartitions(partitions))
                    .registry();
            clusterClient = RedisClients.createCluster(settings);
        } else {
            layout = new KeyLayout(redis.prefix());
            cluster = null;
            clusterClient = null;
            registry = initializer()
                    .run(InitOptions.defaults(layout).withPartitions(partitions))
                    .registry();
        }
    }

    /**
     * {@code ops/cistern init} on the worker's Redis and the test's database, to run again (it re-seeds the floors from
     * PostgreSQL): on a cluster run, on every master.
     */
    Initializer initializer() {
        return cluster != null
                ? new Initializer(dataSource, cluster.sync(), cluster::masterCommands)
                : new Initializer(dataSource, redis.commands());
    }

    /** Whether this run's worker Redis is the private Redis Cluster ({@value #REDIS_PROPERTY}). */
    static boolean onCluster() {
        return "cluster".equals(System.getProperty(REDIS_PROPERTY));
    }

    /** The client a worker under test is given: a cluster client on a cluster run, else the shared Redis's. */
    AbstractRedisClient client() {
        return clusterClient != null ? clusterClient : redis.client();
    }

    /** The URL of the worker's Redis, for a {@code RecordWriter}: {@code redis-cluster://} on a cluster run. */
    String redisUrl() {
        return cluster != null ? PrivateRedisCluster.shared().url() : redis.url();
    }

    /**
     * The commands of the one server that holds {@code key}: its master's node connection on a cluster run (for a
     * {@code MULTI} whose keys share a slot), else the shared Redis's.
     */
    RedisCommands<String, String> serverOf(String key) {
        return cluster != null ? cluster.masterFor(key).sync() : redis.commands();
    }

    /** Keyed commands on the worker's Redis (routed by slot on a cluster run). */
    RedisClusterCommands<String, String> commands() {
        return cluster != null ? cluster.sync() : redis.commands();
    }

    /** A change entry with the next stream ID. */
    ChangeEntry entry(String table, String key, Operation op, long version, Map<String, String> columns) {
        return new ChangeEntry(clock.incrementAndGet() + "-0", table, key, op, version, columns);
    }

    /** One row of {@code table} where {@code where} holds, column name to text, or empty. */
    Optional<Map<String, String>> row(String table, String where) {
        List<Map<String, String>> rows = rows("SELECT * FROM " + table + " WHERE " + where);
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.getFirst());
    }

    List<Map<String, String>> rows(String query) {
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(query)) {
            ResultSetMetaData meta = rs.getMetaData();
            List<Map<String, String>> rows = new ArrayList<>();
            while (rs.next()) {
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    row.put(meta.getColumnName(i), rs.getString(i));
                }
                rows.add(row);
            }
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException(query + ": " + e.getMessage(), e);
        }
    }

    /**
     * A put as a plain-Redis producer sent it ({@code FCALL}, docs/protocol.md) before the table's CHECK constraints
     * were registered: the Function is called, in one transaction, with the table's spec stripped of its CHECK
     * conditions, which are then put back. How a test makes an entry that both the writer and the Function would now
     * refuse (a status the table's CHECK constraint refuses) for the worker to dead-letter, as it does an entry
     * buffered before an upgrade. {@code columns} hold each value's JSON.
     */
    WriteReceipt putPastTheWriter(String table, Object key, Map<String, String> columns) {
        RecordAddress address = RecordAddress.of(registry.table(table).orElseThrow(), List.of(key));
        int p = address.partition(registry.partitions());
        List<String> args = new ArrayList<>(List.of(table, address.key()));
        columns.forEach((column, json) -> {
            args.add(column);
            args.add(json);
        });
        RedisCommands<String, String> commands = serverOf(layout.meta(p));
        String specField = MetaFields.tableSpec(table);
        String spec = commands.hget(layout.meta(p), specField);
        String withoutChecks = spec.contains(" ") ? spec.substring(0, spec.indexOf(' ', spec.indexOf(','))) : spec;
        commands.multi();
        commands.hset(layout.meta(p), specField, withoutChecks);
        commands.fcall(
                FunctionLibrary.functionName(Operation.PUT),
                ScriptOutputType.MULTI,
                new String[] {layout.record(p, table, address.key()), layout.stream(p), layout.meta(p)},
                args.toArray(String[]::new));
        commands.hset(layout.meta(p), specField, spec);
        List<?> reply = (List<?>) commands.exec().get(1);
        return new WriteReceipt(
                table,
                address.key(),
                Operation.PUT,
                p,
                Long.parseLong(String.valueOf(reply.get(0))),
                String.valueOf(reply.get(1)));
    }

    String scalar(String query) {
        return rows(query).getFirst().values().iterator().next();
    }

    @Override
    public void close() {
        try {
            dataSource.close();
            redis.close();
            if (cluster != null) {
                clusterClient.shutdown();
                cluster.close();
                PrivateRedisCluster.shared().deleteKeys(layout.prefix());
            }
        } finally {
            db.close();
        }
    }
}
