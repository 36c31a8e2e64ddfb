package io.cistern.ops;

import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.RedisSettings;
import io.cistern.ops.dashboard.DashboardConfiguration;
import io.cistern.ops.dashboard.DashboardSource;
import io.cistern.reader.ReaderSettings;
import io.cistern.reader.http.OwningReader;
import io.cistern.reader.http.ProxyHttpConfiguration;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ops/cistern redis-proxy}: the HTTP read service on its own. */
@Command(
        name = "redis-proxy",
        mixinStandardHelpOptions = true,
        description = {
            "Serve reads: GET /v1/tables/{table}/records/{id} (ETag = version, If-None-Match, Cistern-Tier header) and"
                    + " POST /v1/tables/{table}/records:get, from a local cache kept current by Redis, then Redis, then"
                    + " PostgreSQL; with /actuator/health and /actuator/prometheus.",
            "Serves health from the start and waits for Redis (STARTUP_WAIT_MS); PostgreSQL may be down: reads that"
                    + " need it get 503 until it is back. Tuning: PROXY_* variables (see docs/read-proxy.md).",
            "Set CISTERN_READER_TOKEN (or CISTERN_READER_TOKEN_FILE) to require a bearer token on reads."
        })
final class RedisProxyCommand implements Callable<Integer> {
    @Mixin
    ConnectionOptions connection;

    @Option(names = "--port", paramLabel = "PORT", description = "HTTP port (default: ${DEFAULT-VALUE}).")
    int port = 8082;

    /** The running service, once {@link #call()} returned. */
    private ConfigurableApplicationContext context;

    @Override
    public Integer call() {
        Map<String, String> env = connection.environment();
        RedisSettings redis = connection.redis();
        DatabaseSettings database = connection.database();
        ReaderSettings settings = settings(env, connection);
        // Serve health first: alive, and refusing reads as retryable, while Redis is awaited.
        DeferredCachedReader reader = new DeferredCachedReader("Redis at " + redis.redactedUrl());
        Map<String, Object> beans = new LinkedHashMap<>();
        beans.put("readerSettings", settings);
        beans.put("cachedReader", reader);
        beans.put("cisternDashboard", new DashboardSource(redis, connection.layout(), database));
        context = ServiceLauncher.start("cistern-redis-proxy", port, beans, RedisProxyService.class);
        Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "cistern-redis-proxy-shutdown"));
        Startup.logConfiguration(connection.layout().prefix(), redis, database, env);
        Startup.redis(redis, env);
        connect(reader, settings, redis, database, context.getBean(MeterRegistry.class));
        return 0;
    }

    static ReaderSettings settings(Map<String, String> env, ConnectionOptions connection) {
        return ReaderSettings.fromEnvironment(env)
                .mutate()
                .layout(connection.layout())
                .build();
    }

    /**
     * Connects {@code reader} to Redis and PostgreSQL with a client and a pool of its own, which close with it. The
     * database is not awaited: the reader answers from Redis while PostgreSQL is down.
     */
    static void connect(
            DeferredCachedReader reader,
            ReaderSettings settings,
            RedisSettings redis,
            DatabaseSettings database,
            MeterRegistry meters) {
        reader.connected(OwningReader.open(settings, redis, database, meters));
    }

    /** Stops the service and closes its reader. Idempotent. */
    synchronized void stop() {
        if (context != null) {
            context.close();
            context = null;
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    @Import({ProxyHttpConfiguration.class, DashboardConfiguration.class})
    static class RedisProxyService {}
}
