package io.cistern.connections;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How to reach PostgreSQL. Immutable; validated when built.
 *
 * <p>Resolved from the environment with this precedence, first match wins for each part:
 *
 * <ol>
 *   <li>{@code DATABASE_URL}: {@code postgres://user:password@host:port/db?sslmode=...}, {@code postgresql://...} or
 *       {@code jdbc:postgresql://...};
 *   <li>{@code DB_HOST}, {@code DB_PORT}, {@code DB_NAME}, {@code DB_USER}, {@code DB_PASSWORD};
 *   <li>libpq's {@code PGHOST}, {@code PGPORT}, {@code PGDATABASE}, {@code PGUSER}, {@code PGPASSWORD};
 *   <li>defaults: {@code 127.0.0.1:5432}, database {@code postgres}, user {@code postgres}, no password.
 * </ol>
 *
 * Every password variable also has a {@code _FILE} form. {@code DB_POOL_SIZE} (default 4) sizes the connection pool.
 *
 * @param jdbcUrl the JDBC URL, without user or password
 * @param user the database user
 * @param password the password, if any
 * @param poolSize the connection pool's maximum size
 * @param connectTimeout how long to wait for a connection
 * @param warnings what resolution noticed and fixed, to log at startup
 */
public record DatabaseSettings(
        String jdbcUrl,
        String user,
        Optional<Secret> password,
        int poolSize,
        Duration connectTimeout,
        List<String> warnings) {

    public DatabaseSettings {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("jdbcUrl must start with jdbc:postgresql:, was " + jdbcUrl);
        }
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        if (poolSize < 1) {
            throw new IllegalArgumentException("DB_POOL_SIZE must be at least 1, was " + poolSize);
        }
        if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout must be positive, was " + connectTimeout);
        }
        warnings = List.copyOf(warnings);
    }

    /** Settings for a JDBC URL that may carry {@code user} and {@code password} parameters, for tools and tests. */
    public static DatabaseSettings ofJdbcUrl(String url) {
        return fromEnvironment(Map.of("DATABASE_URL", url));
    }

    /** Resolves the settings from environment variables (see the class comment for the precedence). */
    public static DatabaseSettings fromEnvironment(Map<String, String> environment) {
        EnvironmentReader env = new EnvironmentReader(environment);
        String host = null;
        String port = null;
        String db = null;
        String user = null;
        Optional<Secret> password = Optional.empty();
        Map<String, String> params = new LinkedHashMap<>();
        Optional<String> url = env.get("DATABASE_URL");
        if (url.isPresent()) {
            ParsedUrl p = ParsedUrl.parse(url.get());
            host = p.host;
            port = p.port;
            db = p.database;
            user = p.params.remove("user");
            String pw = p.params.remove("password");
            password = Optional.ofNullable(pw).map(Secret::of);
            if (p.user != null) {
                user = p.user;
            }
            if (p.password != null) {
                password = Optional.of(Secret.of(p.password));
            }
            params.putAll(p.params);
        }
        host = first(host, env.get("DB_HOST"), env.get("PGHOST"), "127.0.0.1");
        port = first(port, env.get("DB_PORT"), env.get("PGPORT"), "5432");
        db = first(db, env.get("DB_NAME"), env.get("PGDATABASE"), "postgres");
        user = first(user, env.get("DB_USER"), env.get("PGUSER"), "postgres");
        if (password.isEmpty()) {
            password = env.secret("DB_PASSWORD").or(() -> env.secret("PGPASSWORD"));
        }
        if (host.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("database host '" + host
                    + "' contains whitespace: remove it (a stray space is a common copy-paste slip)");
        }
        int portNumber;
        try {
            portNumber = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("database port '" + port + "' is not a number", e);
        }
        int pool = Integer.parseInt(env.get("DB_POOL_SIZE").orElse("4"));
        StringBuilder jdbc = new StringBuilder("jdbc:postgresql://")
                .append(host.contains(":") && !host.startsWith("[") && !host.contains(",") ? "[" + host + "]" : host)
                .append(host.contains(",") ? "" : ":" + portNumber)
                .append('/')
                .append(db);
        params.putIfAbsent("ApplicationName", env.get("DB_APPLICATION_NAME").orElse("cistern"));
        char sep = '?';
        for (Map.Entry<String, String> e : params.entrySet()) {
            jdbc.append(sep).append(e.getKey()).append('=').append(e.getValue());
            sep = '&';
        }
        return new DatabaseSettings(jdbc.toString(), user, password, pool, Duration.ofSeconds(5), env.warnings());
    }

    private static String first(String explicit, Optional<String> a, Optional<String> b, String fallback) {
        if (explicit != null && !explicit.isEmpty()) {
            return explicit;
        }
        return a.or(() -> b).orElse(fallback);
    }

    @Override
    public String toString() {
        return "DatabaseSettings[url=" + jdbcUrl + ", user=" + user + ", password="
                + (password.isPresent() ? "****" : "(none)") + ", poolSize=" + poolSize + "]";
    }

    /** A DATABASE_URL taken apart. */
    private record ParsedUrl(
            String host, String port, String database, String user, String password, Map<String, String> params) {

        static ParsedUrl parse(String url) {
            String rest;
            if (url.startsWith("jdbc:postgresql://")) {
                rest = url.substring("jdbc:postgresql://".length());
            } else if (url.startsWith("postgres://")) {
                rest = url.substring("postgres://".length());
            } else if (url.startsWith("postgresql://")) {
                rest = url.substring("postgresql://".length());
            } else {
                throw new IllegalArgumentException("DATABASE_URL must start with postgres://, postgresql:// or"
                        + " jdbc:postgresql:// (it starts with '" + url.substring(0, Math.min(12, url.length()))
                        + "...')");
            }
            String user = null;
            String password = null;
            int at = rest.lastIndexOf('@', rest.indexOf('/') < 0 ? rest.length() : rest.indexOf('/'));
            if (at >= 0) {
                String info = rest.substring(0, at);
                rest = rest.substring(at + 1);
                int colon = info.indexOf(':');
                user = decode(colon < 0 ? info : info.substring(0, colon));
                password = colon < 0 ? null : decode(info.substring(colon + 1));
            }
            String query = "";
            int q = rest.indexOf('?');
            if (q >= 0) {
                query = rest.substring(q + 1);
                rest = rest.substring(0, q);
            }
            int slash = rest.indexOf('/');
            String hostPort = slash < 0 ? rest : rest.substring(0, slash);
            String database = slash < 0 ? null : decode(rest.substring(slash + 1));
            String host = hostPort;
            String port = null;
            if (!hostPort.contains(",")) {
                try {
                    URI u = new URI("x://" + hostPort);
                    if (u.getHost() != null) {
                        host = u.getHost();
                        port = u.getPort() < 0 ? null : Integer.toString(u.getPort());
                    }
                } catch (URISyntaxException e) {
                    host = hostPort;
                }
            }
            Map<String, String> params = new LinkedHashMap<>();
            if (!query.isEmpty()) {
                for (String kv : query.split("&")) {
                    int eq = kv.indexOf('=');
                    String k = decode(eq < 0 ? kv : kv.substring(0, eq));
                    String v = eq < 0 ? "" : decode(kv.substring(eq + 1));
                    params.put(k, v);
                }
            }
            return new ParsedUrl(
                    host.isEmpty() ? null : host,
                    port,
                    database == null || database.isEmpty() ? null : database,
                    user,
                    password,
                    params);
        }

        private static String decode(String s) {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        }
    }
}
