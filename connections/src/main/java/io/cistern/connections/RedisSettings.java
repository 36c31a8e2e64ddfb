package io.cistern.connections;

import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How to reach Redis. Immutable; validated when built.
 *
 * <p>From the environment: {@code REDIS_URL} ({@code redis://[user:password@]host:port/db}, {@code rediss://} for
 * TLS), default {@code redis://127.0.0.1:6379}; {@code REDIS_PASSWORD} or {@code REDIS_PASSWORD_FILE} override the
 * URL's password; {@code REDIS_COMMAND_TIMEOUT_MS} (default 2000) and {@code REDIS_CONNECT_TIMEOUT_MS} (default 2000).
 *
 * @param uri the Redis URI, password included; never printed as is (see {@link #toString()})
 * @param commandTimeout how long one command may take before it fails with a retryable error
 * @param connectTimeout how long opening a connection may take
 * @param warnings what resolution noticed and fixed (for example trimmed whitespace), to log at startup
 */
public record RedisSettings(RedisURI uri, Duration commandTimeout, Duration connectTimeout, List<String> warnings) {
    public static final String DEFAULT_URL = "redis://127.0.0.1:6379";

    public RedisSettings {
        Objects.requireNonNull(uri, "uri");
        requirePositive(commandTimeout, "commandTimeout");
        requirePositive(connectTimeout, "connectTimeout");
        warnings = List.copyOf(warnings);
    }

    public static RedisSettings of(String url) {
        return fromEnvironment(Map.of("REDIS_URL", url));
    }

    /** Resolves the settings from environment variables. */
    public static RedisSettings fromEnvironment(Map<String, String> environment) {
        EnvironmentReader env = new EnvironmentReader(environment);
        String url = env.get("REDIS_URL").orElse(DEFAULT_URL);
        RedisURI uri;
        try {
            uri = RedisURI.create(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "REDIS_URL is not a Redis URL (" + redact(url)
                            + "): use redis://[user:password@]host:port[/db] or rediss:// for TLS",
                    e);
        }
        if (uri.getHost() != null && uri.getHost().chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("REDIS_URL host '" + uri.getHost()
                    + "' contains whitespace: remove it (a stray space is a common copy-paste slip)");
        }
        env.secret("REDIS_PASSWORD")
                .ifPresent(p -> uri.setAuthentication(p.reveal().toCharArray()));
        Duration command = Duration.ofMillis(
                Long.parseLong(env.get("REDIS_COMMAND_TIMEOUT_MS").orElse("2000")));
        Duration connect = Duration.ofMillis(
                Long.parseLong(env.get("REDIS_CONNECT_TIMEOUT_MS").orElse("2000")));
        uri.setTimeout(command);
        return new RedisSettings(uri, command, connect, env.warnings());
    }

    /** The URL with its password replaced by {@code ****}. */
    public String redactedUrl() {
        return redact(uri.toString());
    }

    static String redact(String url) {
        return url.replaceAll("(://[^:@/]*:)[^@/]*@", "$1****@").replaceAll("(://)[^:@/]+@", "$1****@");
    }

    @Override
    public String toString() {
        return "RedisSettings[url=" + redactedUrl() + ", commandTimeout=" + commandTimeout + ", connectTimeout="
                + connectTimeout + "]";
    }

    private static void requirePositive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive duration, was " + d);
        }
    }
}
