package io.cistern.ops;

import io.cistern.connections.Backoff;
import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.StartupWaiter;
import io.lettuce.core.RedisClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every command does before it uses its servers: log the effective settings (secrets redacted, with where each
 * value came from and what resolution fixed), then wait for the servers with backoff ({@code STARTUP_WAIT_MS}), so a
 * database that is still starting delays a command instead of killing it.
 */
final class Startup {
    private static final Logger LOG = LoggerFactory.getLogger(Startup.class);

    private Startup() {}

    static void redis(RedisSettings settings, Map<String, String> env) {
        log(settings.describe(), settings.warnings());
        RedisClient client = RedisClients.create(settings);
        try {
            StartupWaiter.create(Backoff.fromEnvironment(env)).waitForRedis(client, settings);
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    static void database(DatabaseSettings settings, Map<String, String> env) {
        log(settings.describe(), settings.warnings());
        StartupWaiter.create(Backoff.fromEnvironment(env)).waitForDatabase(settings);
    }

    private static void log(List<String> description, List<String> warnings) {
        description.forEach(line -> LOG.info("{}", line));
        warnings.forEach(w -> LOG.warn("configuration: {}", w));
    }
}
