package io.cistern.ops;

import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.RedisSettings;
import io.cistern.ops.dashboard.DashboardConfiguration;
import io.cistern.ops.dashboard.DashboardSource;
import io.cistern.reader.ReaderSettings;
import io.cistern.reader.http.ProxyHttpConfiguration;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.sync.SyncSettings;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriterSettings;
import io.cistern.writer.http.WriterHttpConfiguration;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.io.PrintWriter;
import java.nio.file.Path;
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
import picocli.CommandLine.Spec;

/**
 * {@code ops/cistern up}: everything on one port. Starts (or reuses) local Redis and PostgreSQL, runs init, and serves
 * every role built so far.
 */
@Command(
        name = "up",
        mixinStandardHelpOptions = true,
        description = {
            "Run Cistern all-in-one on one port: start (or reuse) local Redis and PostgreSQL, run init, and serve"
                    + " every role: the HTTP ingest API (PUT/PATCH/DELETE /v1/tables/...), the read proxy (GET"
                    + " /v1/tables/{table}/records/{id}, POST .../records:get), a sync worker draining the streams"
                    + " into PostgreSQL, /actuator/health and /actuator/prometheus.",
            "A Redis it starts itself has AOF on (appendfsync everysec) and noeviction, with its data under"
                    + " --data-dir. Reusing a Redis without persistence prints a note with the fix: buffered writes"
                    + " would not survive its restart (ops/cistern doctor --profile dev judges such a setup as a"
                    + " trial)."
        })
final class UpCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(UpCommand.class);

    @Mixin
    ConnectionOptions connection;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ReadinessOptions readiness;

    @Option(names = "--port", paramLabel = "PORT", description = "HTTP port (default: ${DEFAULT-VALUE}).")
    int port = 8080;

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            description = "Where servers started by up keep their data (default: ${DEFAULT-VALUE}).")
    Path dataDir = Path.of(".cistern");

    @Option(
            names = "--redis-port",
            paramLabel = "PORT",
            description = "Port of the local Redis to reuse, or to start one on, when REDIS_URL is not set"
                    + " (default: ${DEFAULT-VALUE}).")
    int redisPort = 6379;

    @Option(
            names = "--postgres-port",
            paramLabel = "PORT",
            description = "Port of the local PostgreSQL to reuse, or to start one on, when no database is configured"
                    + " (default: ${DEFAULT-VALUE}).")
    int postgresPort = 5432;

    /** The running service, once {@link #call()} returned. */
    private ConfigurableApplicationContext context;

    /** The servers up reused or started. */
    private LocalServers servers;

    @Override
    public Integer call() {
        Map<String, String> env = connection.environment();
        // Before any server starts, so that a wrong SYNC_* value stops up at once.
        SyncSettings workerSettings = SyncSettings.fromEnvironment(env, connection.layout());
        servers = new LocalServers(dataDir.toAbsolutePath(), spec.commandLine().getErr(), redisPort, postgresPort);
        Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "cistern-up-shutdown"));
        RedisSettings redis = servers.redis(env);
        DatabaseSettings database = servers.postgres(env);
        // What a person needs first, on stdout before the services' logs: where it will listen, which servers it
        // reused or started, and the effective configuration.
        PrintWriter out = spec.commandLine().getOut();
        out.printf("Cistern all-in-one, starting on http://127.0.0.1:%d (writer, read proxy, sync worker)%n", port);
        servers.report().forEach(line -> out.println("  " + line));
        out.println(
                Startup.configuration(connection.layout().prefix(), redis, database, Startup.unknownVariables(env)));
        out.flush();
        Startup.redis(redis, env);
        Startup.database(database, env);
        InitCommand.run(database, redis, InitOptions.defaults(connection.layout()));
        Startup.warnIfBufferUnbounded(redis, connection.layout());
        // The writer and the worker record their meters here; /actuator/prometheus serves them once the context runs.
        CompositeMeterRegistry meters = new CompositeMeterRegistry();
        RecordWriter writer = RecordWriter.connect(
                new WriterSettings(redis, connection.layout(), WriterSettings.DEFAULT_REGISTRY_REFRESH), meters);
        SyncWorkerCommand.Running worker = new SyncWorkerCommand.Running();
        Map<String, Object> beans = new LinkedHashMap<>(SyncWorkerCommand.healthBeans(
                redis, database, worker, connection.layout(), readiness.statusSettings(env)));
        beans.put("recordWriter", writer);
        ReaderSettings readerSettings = RedisProxyCommand.settings(env, connection);
        DeferredCachedReader reader = new DeferredCachedReader("Redis at " + redis.redactedUrl());
        beans.put("readerSettings", readerSettings);
        beans.put("cachedReader", reader);
        beans.put("cisternDashboard", new DashboardSource(redis, connection.layout(), database));
        context = ServiceLauncher.start("cistern", port, beans, meters, AllInOne.class);
        // Started once the context's registry is attached, so that its first lease changes are counted there.
        workerSettings.describe().forEach(line -> LOG.info("{}", line));
        worker.start(redis, database, workerSettings, meters);
        RedisProxyCommand.connect(reader, readerSettings, redis, database, context.getBean(MeterRegistry.class));
        out.printf("Cistern is up on http://127.0.0.1:%d%n", port);
        out.printf(
                "  write:  curl -X PUT http://127.0.0.1:%d/v1/tables/source_documents/records/"
                        + "7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f -H 'content-type: application/json'"
                        + " -d '{\"filename\":\"scan-0001.pdf\"}'%n",
                port);
        out.printf(
                "  read:   curl -i http://127.0.0.1:%d/v1/tables/source_documents/records/"
                        + "7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f%n",
                port);
        out.printf("  health: curl http://127.0.0.1:%d/actuator/health%n", port);
        out.printf("  dashboard: http://127.0.0.1:%d/   stop: Ctrl-C%n", port);
        out.flush();
        LOG.info("all roles serving on port {}", port);
        return 0;
    }

    /** Stops serving, then stops the servers up started itself (SIGTERM: Redis flushes its AOF). Idempotent. */
    synchronized void stop() {
        if (context != null) {
            context.close();
            context = null;
        }
        if (servers != null) {
            servers.close();
            servers = null;
        }
    }

    /** Every role on one port, and the operator dashboard. */
    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    @Import({WriterHttpConfiguration.class, ProxyHttpConfiguration.class, DashboardConfiguration.class})
    static class AllInOne {}
}
