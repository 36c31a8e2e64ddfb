package io.cistern.ops;

import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.EnvironmentReader;
import io.cistern.connections.RedisSettings;
import io.cistern.schema.keys.KeyLayout;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The connection options every command shares. Each option overrides the environment variable named in its
 * description; without either, the local servers are used.
 */
final class ConnectionOptions {
    @Option(
            names = "--redis-url",
            paramLabel = "URL",
            description = "Redis URL (overrides REDIS_URL; default redis://127.0.0.1:6379).")
    String redisUrl;

    @Option(
            names = "--database-url",
            paramLabel = "URL",
            description = "PostgreSQL URL, postgres://, postgresql:// or jdbc:postgresql:// (overrides DATABASE_URL,"
                    + " DB_* and PG* variables; default 127.0.0.1:5432, database and user postgres).")
    String databaseUrl;

    @Option(
            names = "--prefix",
            paramLabel = "PREFIX",
            description = "Redis key prefix (overrides CISTERN_PREFIX; default cistern).")
    String prefix;

    /** The environment the options are laid over: the process's, or a test's. */
    Map<String, String> base = System.getenv();

    /** The process environment with the options laid over it. */
    Map<String, String> environment() {
        Map<String, String> env = new HashMap<>(base);
        if (redisUrl != null) {
            env.put("REDIS_URL", redisUrl);
        }
        if (databaseUrl != null) {
            env.put("DATABASE_URL", databaseUrl);
        }
        if (prefix != null) {
            env.put("CISTERN_PREFIX", prefix);
        }
        return env;
    }

    RedisSettings redis() {
        return RedisSettings.fromEnvironment(environment());
    }

    DatabaseSettings database() {
        return DatabaseSettings.fromEnvironment(environment());
    }

    KeyLayout layout() {
        return new KeyLayout(new EnvironmentReader(environment()).get("CISTERN_PREFIX", KeyLayout.DEFAULT_PREFIX));
    }
}
