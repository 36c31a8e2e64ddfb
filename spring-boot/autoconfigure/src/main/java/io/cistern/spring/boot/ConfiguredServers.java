package io.cistern.spring.boot;

import java.net.URI;
import java.net.URISyntaxException;
import org.springframework.core.env.Environment;

/**
 * Where the application's Redis and PostgreSQL are, read from the Spring properties the way Spring Boot resolves them
 * ({@code spring.data.redis.url} over host and port; Sentinel and Cluster nodes), for the start-up failure reports.
 * Never a password: addresses only, and {@link #scrub} for text that may echo one. Stateless.
 */
final class ConfiguredServers {
    private static final int REDIS_DEFAULT_PORT = 6379;

    private ConfiguredServers() {}

    /** The Redis address the application's client tries, as {@code host:port} (Sentinel or Cluster: their nodes). */
    static String redisAddress(Environment env) {
        String sentinels = env.getProperty("spring.data.redis.sentinel.nodes");
        if (sentinels != null && !sentinels.isBlank()) {
            return "Sentinel " + sentinels + " (master " + env.getProperty("spring.data.redis.sentinel.master", "?")
                    + ")";
        }
        String cluster = env.getProperty("spring.data.redis.cluster.nodes");
        if (cluster != null && !cluster.isBlank()) {
            return "Cluster " + cluster;
        }
        String url = env.getProperty("spring.data.redis.url");
        if (url != null && !url.isBlank()) {
            try {
                URI uri = new URI(url.trim());
                if (uri.getHost() != null) {
                    return uri.getHost() + ":" + (uri.getPort() < 0 ? REDIS_DEFAULT_PORT : uri.getPort());
                }
            } catch (URISyntaxException e) {
                // fall through: Spring Boot rejects the URL itself, with its own message
            }
            return "(spring.data.redis.url is not a redis:// URL)";
        }
        return env.getProperty("spring.data.redis.host", "localhost") + ":"
                + env.getProperty("spring.data.redis.port", String.valueOf(REDIS_DEFAULT_PORT));
    }

    /** The Redis as a {@code REDIS_URL} for {@code ops/cistern init}, without credentials. */
    static String redisUrlForInit(Environment env) {
        String address = redisAddress(env);
        if (address.startsWith("Sentinel") || address.startsWith("Cluster") || address.startsWith("(")) {
            return "<the application's Redis>";
        }
        String url = env.getProperty("spring.data.redis.url", "");
        boolean tls =
                url.startsWith("rediss:") || env.getProperty("spring.data.redis.ssl.enabled", Boolean.class, false);
        return (tls ? "rediss://" : "redis://") + address;
    }

    /** The JDBC URL of the application's {@code DataSource} ({@code spring.datasource.url}), without its parameters. */
    static String databaseUrl(Environment env) {
        String url = env.getProperty("spring.datasource.url");
        if (url == null || url.isBlank()) {
            return "(spring.datasource.url is not set)";
        }
        // Query parameters may carry a password (?password=...): leave them out.
        int query = url.indexOf('?');
        return query < 0 ? url.trim() : url.substring(0, query).trim();
    }

    /** {@code text} with the configured Redis and PostgreSQL passwords replaced by {@code ****}. */
    static String scrub(String text, Environment env) {
        String scrubbed = String.valueOf(text);
        for (String property : new String[] {"spring.data.redis.password", "spring.datasource.password"}) {
            String secret = env.getProperty(property);
            if (secret != null && !secret.isEmpty()) {
                scrubbed = scrubbed.replace(secret, "****");
            }
        }
        String url = env.getProperty("spring.data.redis.url");
        if (url != null) {
            try {
                String userInfo = new URI(url.trim()).getUserInfo();
                if (userInfo != null && userInfo.contains(":") && userInfo.length() > userInfo.indexOf(':') + 1) {
                    scrubbed = scrubbed.replace(userInfo.substring(userInfo.indexOf(':') + 1), "****");
                }
            } catch (URISyntaxException e) {
                // nothing to scrub from a URL that does not parse
            }
        }
        return scrubbed;
    }
}
