package io.cistern.connections;

import io.lettuce.core.RedisCredentials;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * One effective setting as {@code ops/cistern config} shows it: its value (a secret as {@code ****}), where the value
 * came from, and the variables that were set for it too but lost.
 *
 * @param name what is set: a variable's name for a setting that has one variable, else the part ({@code host})
 * @param value the value in effect, never a secret
 * @param source the variable it came from, {@code NAME_FILE (path)} for a secret read from a file, or {@code default}
 * @param overrode the variables that were set for it but lost to {@code source}, empty when none
 */
public record EffectiveSetting(String name, String value, String source, List<String> overrode) {
    public EffectiveSetting {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(source, "source");
        overrode = List.copyOf(overrode);
    }

    /**
     * Every PostgreSQL setting resolved from {@code env}, part by part, with the variable that gave it and the ones it
     * overrode.
     *
     * @throws IllegalArgumentException as {@link DatabaseSettings#fromEnvironment}, with the same message
     */
    public static List<EffectiveSetting> database(RecordingEnvironment env) {
        DatabaseSettings s = DatabaseSettings.fromEnvironment(env);
        Parts parts = new Parts(env, s.sources());
        parts.add(
                "host",
                "host",
                s.hosts().stream().map(DatabaseSettings.Host::host).collect(Collectors.joining(",")));
        parts.add(
                "port",
                "port",
                s.hosts().stream().map(h -> Integer.toString(h.port())).collect(Collectors.joining(",")));
        parts.add("database", "database", s.database());
        parts.add("user", "user", s.user());
        parts.add(
                "password",
                "password",
                s.credentials()
                        .map(c -> "from " + c.describe())
                        .orElse(s.password().isPresent() ? "****" : "not set"));
        parts.add("TLS mode", "sslMode", s.sslMode().value());
        parts.add(
                "root certificate",
                "sslRootCert",
                s.sslRootCert().map(Object::toString).orElse("none"));
        parts.add("target server type", "targetServerType", s.targetServerType().value());
        parts.add("application name", "applicationName", s.applicationName());
        parts.add("pool size", "poolSize", Integer.toString(s.poolSize()));
        parts.add("connect timeout", "connectTimeout", millis(s.connectTimeout()));
        parts.add("max lifetime", "maxLifetime", millis(s.maxLifetime()));
        parts.variable("keepalive time", "DB_KEEPALIVE_TIME_MS", millis(s.keepaliveTime()));
        parts.variable("statement timeout", "DB_STATEMENT_TIMEOUT_MS", millis(s.statementTimeout()));
        parts.add("idle-in-transaction timeout", "idleInTransactionTimeout", millis(s.idleInTransactionTimeout()));
        parts.add("socket timeout", "socketTimeout", millis(s.socketTimeout()));
        if (env.reading("DB_TCP_KEEPALIVE").isPresent()) {
            parts.variable("TCP keepalive", "DB_TCP_KEEPALIVE", Boolean.toString(s.tcpKeepAlive()));
        } else {
            // Only DATABASE_URL's tcpKeepAlive stops the variable from being read.
            parts.rows.add(new EffectiveSetting(
                    "TCP keepalive", Boolean.toString(s.tcpKeepAlive()), "DATABASE_URL", List.of()));
        }
        parts.add("statement log", "sqlEcho", Boolean.toString(s.sqlEcho()));
        parts.add("pooler", "pooler", s.pooler().value());
        s.parameters()
                .forEach((key, value) -> parts.rows.add(new EffectiveSetting(
                        "driver parameter " + key,
                        DatabaseSettings.isSecretKey(key) ? "****" : value,
                        "DATABASE_URL",
                        List.of())));
        return List.copyOf(parts.rows);
    }

    /**
     * Every Redis setting resolved from {@code env}, with the variable that gave it.
     *
     * @throws IllegalArgumentException as {@link RedisSettings#fromEnvironment}, with the same message
     */
    public static List<EffectiveSetting> redis(RecordingEnvironment env) {
        RedisSettings s = RedisSettings.fromEnvironment(env);
        List<EffectiveSetting> rows = new ArrayList<>();
        boolean urlSet = isSet(env, "REDIS_URL");
        String addressFrom = urlSet
                ? "REDIS_URL"
                : isSet(env, "REDIS_HOST") || isSet(env, "REDIS_PORT")
                        ? List.of("REDIS_HOST", "REDIS_PORT").stream()
                                .filter(n -> isSet(env, n))
                                .collect(Collectors.joining(" + "))
                        : "default";
        rows.add(new EffectiveSetting("url", s.redactedUrl(), addressFrom, overrode(env, "url")));
        rows.add(
                new EffectiveSetting("topology", s.topology().name().toLowerCase(Locale.ROOT), addressFrom, List.of()));
        Optional<RedisCredentials> credentials = RedisSettings.credentials(s.uri());
        Optional<String> user =
                credentials.filter(RedisCredentials::hasUsername).map(RedisCredentials::getUsername);
        rows.add(new EffectiveSetting(
                "user",
                user.orElse("default"),
                isSet(env, "REDIS_USERNAME") ? "REDIS_USERNAME" : user.isPresent() ? addressFrom : "default",
                List.of()));
        boolean hasPassword = credentials.map(RedisCredentials::hasPassword).orElse(false);
        String passwordFrom = env.reading("REDIS_PASSWORD")
                .filter(RecordingEnvironment.Reading::set)
                .map(RecordingEnvironment.Reading::source)
                .orElse(hasPassword ? addressFrom : "default");
        rows.add(new EffectiveSetting("password", hasPassword ? "****" : "not set", passwordFrom, List.of()));
        rows.add(new EffectiveSetting("TLS", s.uri().isSsl() ? "on" : "off", addressFrom, List.of()));
        if (s.uri().isSsl()) {
            rows.add(new EffectiveSetting(
                    "TLS verification",
                    s.uri().getVerifyMode().name().toLowerCase(Locale.ROOT),
                    sourceOf(env, "REDIS_TLS_VERIFY"),
                    List.of()));
            rows.add(new EffectiveSetting(
                    "TLS CA certificate",
                    s.tlsCaCert().map(Object::toString).orElse("the JVM trust store"),
                    sourceOf(env, "REDIS_TLS_CA_CERT"),
                    List.of()));
        }
        rows.add(new EffectiveSetting(
                "REDIS_COMMAND_TIMEOUT_MS",
                millis(s.commandTimeout()),
                sourceOf(env, "REDIS_COMMAND_TIMEOUT_MS"),
                List.of()));
        rows.add(new EffectiveSetting(
                "REDIS_CONNECT_TIMEOUT_MS",
                millis(s.connectTimeout()),
                sourceOf(env, "REDIS_CONNECT_TIMEOUT_MS"),
                List.of()));
        return List.copyOf(rows);
    }

    /**
     * One setting per variable that the readers of {@code env} read, with the value they returned: for the settings
     * records whose variables map one to one onto their values (the sync worker's, the read proxy's, the writer's).
     * Read these after resolving the record, so that a wrong value has stopped it with its message first.
     */
    public static List<EffectiveSetting> ofReadings(RecordingEnvironment env) {
        return env.readings().stream()
                .map(r -> new EffectiveSetting(
                        r.name(),
                        r.value().isEmpty() ? (r.set() ? "set" : "not set") : r.value(),
                        r.source(),
                        List.<String>of()))
                .toList();
    }

    private static boolean isSet(RecordingEnvironment env, String name) {
        return env.reading(name).map(RecordingEnvironment.Reading::set).orElse(false);
    }

    private static String sourceOf(RecordingEnvironment env, String name) {
        return env.reading(name).map(RecordingEnvironment.Reading::source).orElse("default");
    }

    private static List<String> overrode(RecordingEnvironment env, String part) {
        return env.overrides().stream()
                .filter(o -> o.part().equals(part))
                .map(RecordingEnvironment.Overridden::loser)
                .distinct()
                .toList();
    }

    private static String millis(Duration d) {
        return d.isZero() ? "0 (off)" : d.toMillis() + " ms";
    }

    /** Rows for the parts of {@link DatabaseSettings#sources()}. */
    private static final class Parts {
        private final RecordingEnvironment env;
        private final Map<String, String> sources;
        private final List<EffectiveSetting> rows = new ArrayList<>();

        Parts(RecordingEnvironment env, Map<String, String> sources) {
            this.env = env;
            this.sources = sources;
        }

        /** A part whose source resolution recorded (under {@code part}). */
        void add(String name, String part, String value) {
            String source = sources.getOrDefault(part, "default");
            if (source.endsWith("_FILE")) {
                // Name the file too: the reading of the secret says which.
                source = env.reading(source.substring(0, source.length() - "_FILE".length()))
                        .map(RecordingEnvironment.Reading::source)
                        .orElse(source);
            }
            rows.add(new EffectiveSetting(name, value, source, overrode(env, part)));
        }

        /** A part that has one variable. */
        void variable(String name, String variable, String value) {
            rows.add(new EffectiveSetting(name, value, sourceOf(env, variable), List.of()));
        }
    }
}
