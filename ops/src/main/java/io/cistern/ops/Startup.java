package io.cistern.ops;

import io.cistern.connections.Backoff;
import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.EnvironmentReader;
import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.StartupWaiter;
import io.cistern.schema.function.MemoryGuard;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.wire.MetaFields;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every command does before it uses its servers: show the effective settings as one block (secrets redacted,
 * with where each value came from and what resolution fixed), then wait for the servers with backoff ({@code
 * STARTUP_WAIT_MS}), so a database that is still starting delays a command instead of killing it.
 */
final class Startup {
    private static final Logger LOG = LoggerFactory.getLogger(Startup.class);

    private Startup() {}

    /** The flag that turns the refusal of an evicting Redis into a loud warning. */
    static final String ALLOW_EVICTING_REDIS = "CISTERN_ALLOW_EVICTING_REDIS";

    /** For the services that buffer or drain data: refuses an evicting Redis unless the flag allows it. */
    static void redis(RedisSettings settings, Map<String, String> env) {
        // Read as every boolean is: " true" or "yes" no longer count silently as false, and "ture" is refused.
        redis(settings, env, new EnvironmentReader(env).bool(ALLOW_EVICTING_REDIS, false));
    }

    /**
     * Logs the settings, waits for Redis, and checks its eviction policy: refused, or only warned about when {@code
     * allowEvicting} (as for init, which buffers nothing itself).
     */
    static void redis(RedisSettings settings, Map<String, String> env, boolean allowEvicting) {
        StartupWaiter waiter = StartupWaiter.create(Backoff.fromEnvironment(env));
        if (settings.topology() == RedisSettings.Topology.CLUSTER) {
            RedisClusterClient client = RedisClients.createCluster(settings);
            try {
                waiter.waitForRedisCluster(client, settings);
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        } else {
            RedisClient client = RedisClients.create(settings);
            try {
                waiter.waitForRedis(client, settings);
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        }
        // Each master evicts (or not) by its own policy.
        try (RedisDeployment redis = RedisDeployment.open(settings)) {
            for (RedisDeployment.Master master : redis.masters()) {
                requireSafeEviction(settings, readPolicy(master.sync()), allowEvicting);
            }
        }
    }

    /** The policy, or null when CONFIG is not permitted (a managed Redis may hide it). */
    private static String readPolicy(RedisClusterCommands<String, String> c) {
        try {
            return c.configGet("maxmemory-policy").get("maxmemory-policy");
        } catch (RedisException e) {
            LOG.warn("cannot read maxmemory-policy ({}); make sure it is noeviction or volatile-*", e.getMessage());
            return null;
        }
    }

    /**
     * Refuses to start on a Redis whose eviction policy may drop unsynced data (invariant 5), unless the operator set
     * {@value #ALLOW_EVICTING_REDIS}, which turns the refusal into a loud warning.
     */
    static void requireSafeEviction(RedisSettings settings, String policy, boolean allowed) {
        if (EvictionPolicy.of(policy) != EvictionPolicy.ENDANGERS_UNSYNCED_DATA) {
            return;
        }
        String message = "Redis at " + settings.redactedUrl() + " has maxmemory-policy " + policy
                + ", which may evict records and stream entries not yet in PostgreSQL; set it to noeviction (or a"
                + " volatile-* policy, which evicts only synced records)";
        if (!allowed) {
            throw new IllegalStateException(message + ", or set " + ALLOW_EVICTING_REDIS + "=true to run anyway");
        }
        LOG.warn("DANGER: {}; running anyway because {}=true", message, ALLOW_EVICTING_REDIS);
    }

    /**
     * Warns, loudly, when nothing bounds the buffer's memory or Redis would refuse with {@code OOM} before Cistern
     * refuses with back-pressure ({@link MemoryGuard#problem}): a database away for hours would then fill the host.
     * For the services that buffer or drain data, once Redis answers (after init, for {@code up}). Says nothing on a
     * prefix not initialised yet, or when Redis will not tell (an ACL without {@code INFO}).
     *
     * @return the warning logged, if any
     */
    static Optional<String> warnIfBufferUnbounded(RedisSettings settings, KeyLayout layout) {
        RedisClient client = RedisClients.create(settings);
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            String published = c.sync().hget(layout.meta(0), MetaFields.MAX_MEMORY);
            if (published == null) {
                return Optional.empty();
            }
            MemoryGuard.RedisMemory memory =
                    MemoryGuard.RedisMemory.parse(c.sync().info("memory"));
            Optional<String> problem =
                    MemoryGuard.problem(MemoryGuard.effective(Long.parseLong(published), memory), memory);
            problem.ifPresent(
                    p -> LOG.warn("Redis at {}: {} (docs/runbook.md, A long outage)", settings.redactedUrl(), p));
            return problem;
        } catch (RedisException | IllegalArgumentException e) {
            LOG.warn("cannot tell whether the buffer's memory is bounded ({}); run ops/cistern doctor", e.getMessage());
            return Optional.empty();
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    /** The warnings of {@link UnknownVariables} for {@code env}: typos of Cistern's variables, for the startup block. */
    static List<String> unknownVariables(Map<String, String> env) {
        return UnknownVariables.warnings(env, ConfigurationReport.knownVariables());
    }

    static void database(DatabaseSettings settings, Map<String, String> env) {
        StartupWaiter.create(Backoff.fromEnvironment(env)).waitForDatabase(settings);
    }

    /**
     * Logs {@link #configuration} as one entry, with a note for each variable of Cistern's families in {@code env} that
     * nothing reads: WARN when resolution noticed something, else INFO.
     */
    static void logConfiguration(
            String prefix, RedisSettings redis, DatabaseSettings database, Map<String, String> env) {
        List<String> unknown = unknownVariables(env);
        String block = configuration(prefix, redis, database, unknown);
        if (redis.warnings().isEmpty()
                && (database == null || database.warnings().isEmpty())
                && unknown.isEmpty()) {
            LOG.info("{}", block);
        } else {
            LOG.warn("{}", block);
        }
    }

    /**
     * The effective configuration as one block of a few lines, secrets redacted: a heading, Redis, PostgreSQL when
     * the command uses it, the key prefix, then what resolution noticed and fixed. Pure.
     *
     * @param database null for a command that does not use PostgreSQL
     */
    static String configuration(String prefix, RedisSettings redis, DatabaseSettings database) {
        return configuration(prefix, redis, database, List.of());
    }

    /** As {@link #configuration(String, RedisSettings, DatabaseSettings)}, then a note per unknown variable. */
    static String configuration(
            String prefix, RedisSettings redis, DatabaseSettings database, List<String> unknownVariables) {
        List<String> lines = new ArrayList<>();
        lines.add("configuration (secrets redacted; every variable: docs/configuration.md)");
        redis.describe().forEach(l -> lines.add("  " + l));
        if (database != null) {
            database.describe().forEach(l -> lines.add("  " + l));
        }
        lines.add("  key prefix '" + prefix + "'");
        redis.warnings().forEach(w -> lines.add("  note: " + w));
        if (database != null) {
            database.warnings().forEach(w -> lines.add("  note: " + w));
        }
        unknownVariables.forEach(w -> lines.add("  note: " + w));
        return String.join(System.lineSeparator(), lines);
    }
}
