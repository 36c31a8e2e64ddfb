package io.cistern.ops;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.DataSources;
import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisSettings;
import io.cistern.ops.dashboard.DashboardConfiguration;
import io.cistern.ops.dashboard.DashboardSource;
import io.cistern.ops.status.StatusSettings;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.pools.DatabasePool;
import io.cistern.schema.postgres.Initializer;
import io.cistern.sync.SyncSettings;
import io.cistern.sync.SyncWorker;
import io.lettuce.core.AbstractRedisClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ops/cistern sync-worker}: drains the partition streams into PostgreSQL; health and metrics on its port. */
@Command(
        name = "sync-worker",
        mixinStandardHelpOptions = true,
        description = {
            "Drain the partition streams into PostgreSQL: partitions are shared with the other workers through"
                    + " leases and fencing tokens, batches are applied in one version-guarded transaction each, and"
                    + " poison records go to the partition's dead-letter stream. Several may run at once.",
            "Serves /actuator/health/liveness (the process), /actuator/health/readiness (Redis, PostgreSQL, and lag"
                    + " under CISTERN_READY_MAX_LAG_MS, a stalled apply path under CISTERN_READY_MAX_STALL_MS, each saying what is wrong when down) and /actuator/prometheus"
                    + " (with the per-partition cistern.partition.* gauges) from the start, while it waits for"
                    + " its servers (STARTUP_WAIT_MS). Stops gracefully on SIGTERM: finishes and acknowledges the"
                    + " batches in hand, then releases its leases.",
            "Reads its settings from the SYNC_* variables (docs/configuration.md); the flags below override them."
        })
final class SyncWorkerCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(SyncWorkerCommand.class);

    @Mixin
    ConnectionOptions connection;

    @Mixin
    ReadinessOptions readiness;

    @Option(names = "--port", paramLabel = "PORT", description = "HTTP port (default: ${DEFAULT-VALUE}).")
    int port = 8083;

    @Option(
            names = "--worker-id",
            paramLabel = "ID",
            description = "Name in leases and logs (overrides SYNC_WORKER_ID; default: host-pid-random).")
    String workerId;

    @Option(
            names = "--batch-size",
            paramLabel = "N",
            description = "Most entries per transaction (overrides SYNC_BATCH_SIZE; default: "
                    + SyncSettings.DEFAULT_BATCH_SIZE + ").")
    Integer batchSize;

    @Option(
            names = "--linger-ms",
            paramLabel = "MS",
            description = "How long a batch waits for more entries when not full (overrides SYNC_LINGER_MS;"
                    + " default: 20).")
    Long lingerMillis;

    /** The running service, once {@link #call()} returned. */
    private ConfigurableApplicationContext context;

    @Override
    public Integer call() {
        Map<String, String> env = connection.environment();
        // Before anything starts, so that a wrong SYNC_* value or flag stops the command at once.
        SyncSettings settings = settings(env, connection.layout());
        RedisSettings redis = connection.redis();
        DatabaseSettings database = connection.database();
        Running running = new Running();
        CompositeMeterRegistry meters = new CompositeMeterRegistry();
        // Health first: liveness answers and readiness says what is missing while the servers are awaited.
        Map<String, Object> beans = new LinkedHashMap<>(
                healthBeans(redis, database, running, connection.layout(), readiness.statusSettings(env)));
        beans.put("cisternDashboard", new DashboardSource(redis, connection.layout(), database));
        context = ServiceLauncher.start("cistern-sync-worker", port, beans, meters, WorkerService.class);
        Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "cistern-sync-worker-shutdown"));
        Startup.logConfiguration(connection.layout().prefix(), redis, database, env);
        Startup.redis(redis, env);
        Startup.database(database, env);
        Startup.warnIfBufferUnbounded(redis, connection.layout());
        settings.describe().forEach(line -> LOG.info("{}", line));
        running.start(redis, database, settings, meters);
        return 0;
    }

    /** Stops the service: the worker drains and releases its leases, then its clients close. Idempotent. */
    synchronized void stop() {
        if (context != null) {
            context.close();
            context = null;
        }
    }

    /** The worker's settings from the {@code SYNC_*} variables, with the flags given on the command line laid over. */
    SyncSettings settings(Map<String, String> env, KeyLayout layout) {
        SyncSettings.Builder settings =
                SyncSettings.fromEnvironment(env, layout).mutate();
        if (workerId != null) {
            settings.workerId(workerId);
        }
        if (batchSize != null) {
            settings.batchSize(batchSize);
        }
        if (lingerMillis != null) {
            settings.linger(Duration.ofMillis(lingerMillis));
        }
        return settings.build();
    }

    /**
     * The readiness contributors (Redis, PostgreSQL, lag), the pipeline status and its gauges, and the worker's holder,
     * as beans the service context closes in reverse order.
     */
    static Map<String, Object> healthBeans(
            RedisSettings redis, DatabaseSettings database, Running running, KeyLayout layout, StatusSettings status) {
        Map<String, Object> beans = new LinkedHashMap<>();
        beans.put("redisReady", new DependencyHealth.RedisReady(redis));
        beans.put("postgresReady", new DependencyHealth.PostgresReady(database));
        beans.putAll(StatusBeans.of(redis, database, layout, status));
        beans.put("syncWorker", running);
        return beans;
    }

    /**
     * A worker with the clients it owns, once started. Closing it drains the worker first, then closes its clients.
     * Thread-safe.
     */
    static final class Running implements AutoCloseable {
        private SyncWorker worker;
        private AbstractRedisClient client;
        private HikariDataSource dataSource;

        /** Builds and starts a worker that reads its registry from PostgreSQL, the source of truth. */
        synchronized void start(RedisSettings redis, DatabaseSettings database, SyncSettings settings) {
            start(redis, database, settings, new CompositeMeterRegistry());
        }

        /** As {@link #start(RedisSettings, DatabaseSettings, SyncSettings)}, recording the worker's meters in {@code meters}. */
        synchronized void start(
                RedisSettings redis, DatabaseSettings database, SyncSettings settings, MeterRegistry meters) {
            dataSource = DataSources.create(database, "cistern-sync");
            client = RedisClients.createAny(redis);
            // The limits init recorded, so that re-publishing them after Redis lost its data restores them.
            worker = new SyncWorker(
                    settings.mutate().limits(Initializer.limits(dataSource)).build(),
                    Initializer.registry(dataSource),
                    dataSource,
                    client,
                    meters);
            // Announced for doctor's max_connections check: who holds how many connections to which database.
            worker.announcePool(new DatabasePool(
                    DatabasePool.thisProcess(),
                    settings.workerId(),
                    DatabasePool.SYNC_WORKER,
                    database.poolSize(),
                    DatabasePool.database(database.hosts(), database.database())));
            worker.start();
        }

        @Override
        public synchronized void close() {
            if (worker != null) {
                worker.close();
            }
            if (client != null) {
                client.shutdown();
            }
            if (dataSource != null) {
                dataSource.close();
            }
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    @Import(DashboardConfiguration.class)
    static class WorkerService {}
}
