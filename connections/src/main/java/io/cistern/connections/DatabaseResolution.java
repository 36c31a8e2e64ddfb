package io.cistern.connections;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Resolves {@link DatabaseSettings} from variables: {@code DATABASE_URL}, then {@code DB_*}, then the alias families
 * that teams' Python services already use ({@code DATABASE_*}, {@code AWS_DB_*}), then libpq's {@code PG*}, then
 * defaults, part by part. A lower-precedence variable that is set but loses is reported as a warning, because "I set
 * DB_PASSWORD and nothing changed" is a classic lost hour; two variables of the same level that disagree are an error
 * naming both, because neither has the better claim. Pure: no I/O except reading {@code _FILE} secrets, and what a
 * {@link DatabaseCredentials} source does when the environment asks for one (fetching an AWS secret).
 */
final class DatabaseResolution {
    private final EnvironmentReader env;
    private final Map<String, String> sources = new HashMap<>();
    private final Map<String, String> urlParams = new LinkedHashMap<>();
    private DatabaseSettings.ParsedUrl url;
    private Optional<DatabaseCredentials> credentials = Optional.empty();

    DatabaseResolution(EnvironmentReader env) {
        this.env = env;
    }

    DatabaseSettings resolve() {
        env.get("DATABASE_URL").ifPresent(u -> {
            url = DatabaseSettings.ParsedUrl.parse(u);
            urlParams.putAll(url.params());
        });
        credentials = credentials();
        String hostText = pick(
                "host",
                url == null || url.hosts().isEmpty() ? null : String.join(",", url.hosts()),
                set("DB_HOST"),
                aliases("host", "DATABASE_HOST", "AWS_DB_HOST"),
                set("PGHOST"));
        String portText = pick(
                "port", urlPorts(), set("DB_PORT"), aliases("port", "DATABASE_PORT", "AWS_DB_PORT"), set("PGPORT"));
        List<DatabaseSettings.Host> hosts = hosts(hostText == null ? "127.0.0.1" : hostText, portText);
        String database = orElse(
                pick(
                        "database",
                        url == null ? null : url.database(),
                        set("DB_NAME"),
                        aliases("database", "DATABASE_NAME", "AWS_DB_NAME"),
                        set("PGDATABASE")),
                "postgres");
        String user = orElse(
                pick(
                        "user",
                        firstNonNull(url == null ? null : url.user(), takeParam("user")),
                        set("DB_USER"),
                        aliases("user", "DATABASE_USER", "AWS_DB_USER"),
                        set("PGUSER")),
                "postgres");
        String credentialUser = credentials.map(c -> c.connection().get("user")).orElse(null);
        if (credentialUser != null && !credentialUser.equals(user)) {
            String fix = sourceOf("user").equals("DATABASE_URL")
                    ? "remove the user from DATABASE_URL"
                    : "unset " + sourceOf("user");
            throw new IllegalArgumentException(sourceOf("user") + " names the user " + user + ", but the password comes"
                    + " from " + credentials.get().describe() + ", which is for another user: " + fix
                    + " (the secret's username is used)");
        }
        Optional<Secret> password = password();
        Optional<Path> rootCert = Optional.ofNullable(pick(
                        "sslRootCert",
                        takeParam("sslrootcert"),
                        set("DB_SSL_ROOT_CERT", "DB_SSL_CERT_PATH"),
                        set("AWS_SSLROOTCERT"),
                        set("PGSSLROOTCERT")))
                .map(Path::of);
        SslMode sslMode = sslMode(rootCert.isPresent());
        if (sslMode.verifiesCertificate() && rootCert.isEmpty()) {
            env.warn("DB_SSL_MODE is " + sslMode + " but DB_SSL_ROOT_CERT is not set: the driver looks for"
                    + " ~/.postgresql/root.crt; set DB_SSL_ROOT_CERT to the CA bundle (for RDS, global-bundle.pem)");
        }
        if (rootCert.isPresent() && !sslMode.verifiesCertificate() && sslMode != SslMode.DISABLE) {
            env.warn("DB_SSL_ROOT_CERT is set but DB_SSL_MODE is " + sslMode
                    + ", which does not check the certificate: set DB_SSL_MODE=verify-full to use it");
        }
        TargetServerType target = Optional.ofNullable(pick(
                        "targetServerType",
                        firstNonNull(takeParam("targetServerType"), takeParam("target_session_attrs")),
                        set("DB_TARGET_SERVER_TYPE"),
                        List.of(),
                        set("PGTARGETSESSIONATTRS")))
                .map(text -> TargetServerType.parse(sourceOf("targetServerType"), text))
                .orElse(TargetServerType.PRIMARY);
        String applicationName = orElse(
                pick(
                        "applicationName",
                        firstNonNull(takeParam("ApplicationName"), takeParam("application_name")),
                        set("DB_APPLICATION_NAME"),
                        List.of(),
                        set("PGAPPNAME")),
                "cistern");
        // libpq's connect_timeout and pgjdbc's connectTimeout and loginTimeout are all in seconds.
        String loginTimeout = takeParam("loginTimeout");
        Duration connectTimeout = timing(
                "connectTimeout",
                firstNonNull(takeParam("connectTimeout"), firstNonNull(takeParam("connect_timeout"), loginTimeout)),
                1,
                List.of(millis("DB_CONNECT_TIMEOUT_MS"), seconds("DB_POOL_TIMEOUT", Duration.ofSeconds(1))),
                DatabaseSettings.DEFAULT_CONNECT_TIMEOUT);
        Duration socketTimeout = timing(
                "socketTimeout",
                takeParam("socketTimeout"),
                0,
                List.of(millis("DB_SOCKET_TIMEOUT_MS"), seconds("DB_READ_TIMEOUT", Duration.ZERO)),
                DatabaseSettings.DEFAULT_SOCKET_TIMEOUT);
        Duration maxLifetime = timing(
                "maxLifetime",
                null,
                0,
                List.of(millis("DB_MAX_LIFETIME_MS"), poolRecycle()),
                DatabaseSettings.DEFAULT_MAX_LIFETIME);
        Duration idleInTransaction = timing(
                "idleInTransactionTimeout",
                null,
                0,
                List.of(millis("DB_IDLE_IN_TRANSACTION_TIMEOUT_MS"), aliasMillis("DB_IDLE_TIMEOUT")),
                DatabaseSettings.DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT);
        String tcpKeepAliveParam = takeParam("tcpKeepAlive");
        boolean tcpKeepAlive = tcpKeepAliveParam != null
                ? Boolean.parseBoolean(tcpKeepAliveParam)
                : env.bool("DB_TCP_KEEPALIVE", true);
        if (env.isSet("DB_POOL_PRE_PING") && !env.bool("DB_POOL_PRE_PING", true)) {
            env.warn("DB_POOL_PRE_PING=false is ignored: the pool always tests a connection that has been idle for"
                    + " more than half a second before handing it out (HikariCP cannot turn this off); unset it");
        }
        boolean sqlEcho = env.bool("SQL_ECHO", false);
        if (env.isSet("SQL_ECHO")) {
            sources.put("sqlEcho", "SQL_ECHO");
        }
        Pooler pooler = env.isSet("DB_POOLER") ? Pooler.parse("DB_POOLER", env.get("DB_POOLER", "none")) : Pooler.NONE;
        if (env.isSet("DB_POOLER")) {
            sources.put("pooler", "DB_POOLER");
        }
        return new DatabaseSettings(
                hosts,
                database,
                user,
                password,
                credentials,
                sslMode,
                rootCert,
                target,
                applicationName,
                poolSize(),
                connectTimeout,
                maxLifetime,
                env.millis("DB_KEEPALIVE_TIME_MS", DatabaseSettings.DEFAULT_KEEPALIVE_TIME),
                env.millis("DB_STATEMENT_TIMEOUT_MS", DatabaseSettings.DEFAULT_STATEMENT_TIMEOUT),
                idleInTransaction,
                socketTimeout,
                tcpKeepAlive,
                sqlEcho,
                pooler,
                urlParams,
                sources,
                env.warnings());
    }

    /**
     * The TLS mode: {@code DATABASE_URL}'s {@code sslmode}, else {@code DB_SSL_MODE}, else the gateway family's {@code
     * AWS_REQUIRE_SSL=true} ({@code verify-full} when a root certificate is set, else {@code require}: the flag asks
     * for TLS, and a CA bundle given alongside it is there to be checked), else {@code PGSSLMODE}. When none is set but
     * the CA bundle came from an alias ({@code DB_SSL_CERT_PATH}, {@code AWS_SSLROOTCERT}), {@code verify-full}: the
     * Python services those names come from hand the bundle to an SSL context, which checks certificate and host name,
     * and quietly checking less than they did would be a downgrade.
     */
    private SslMode sslMode(boolean haveRootCert) {
        List<Candidate> aliases = new ArrayList<>();
        if (env.bool("AWS_REQUIRE_SSL", false)) {
            aliases.add(new Candidate(
                    "AWS_REQUIRE_SSL", haveRootCert ? SslMode.VERIFY_FULL.value() : SslMode.REQUIRE.value()));
        }
        String text = pick("sslMode", urlSslMode(), set("DB_SSL_MODE"), aliases, set("PGSSLMODE"));
        if (text != null) {
            return SslMode.parse(sourceOf("sslMode"), text);
        }
        if (credentials.isPresent() && credentials.get().requiresTls()) {
            // An IAM token is a password: without a TLS mode set, require TLS rather than prefer it.
            sources.put("sslMode", credentials.get().variable());
            return haveRootCert ? SslMode.VERIFY_FULL : SslMode.REQUIRE;
        }
        String certFrom = sourceOf("sslRootCert");
        if (certFrom.equals("DB_SSL_CERT_PATH") || certFrom.equals("AWS_SSLROOTCERT")) {
            sources.put("sslMode", certFrom);
            return SslMode.VERIFY_FULL;
        }
        return SslMode.PREFER;
    }

    /**
     * The URL's {@code sslmode}, else its {@code ssl} when that names a mode: SQLAlchemy's asyncpg URLs say {@code
     * ?ssl=require} (asyncpg refuses {@code sslmode}), and passed on to pgjdbc as it is, it would be outweighed by the
     * {@code sslmode} Cistern always sets: a silent downgrade to {@code prefer}. Any other {@code ssl} value goes to
     * pgjdbc unchanged, as before.
     */
    private String urlSslMode() {
        String sslmode = takeParam("sslmode");
        if (sslmode != null) {
            return sslmode;
        }
        for (String key : List.copyOf(urlParams.keySet())) {
            if (key.equalsIgnoreCase("ssl")) {
                String value = urlParams.get(key).strip().toLowerCase(java.util.Locale.ROOT);
                for (SslMode mode : SslMode.values()) {
                    if (mode.value().equals(value)) {
                        urlParams.remove(key);
                        return value;
                    }
                }
            }
        }
        return null;
    }

    /**
     * {@code DB_POOL_SIZE} (default 4) plus SQLAlchemy's {@code DB_MAX_OVERFLOW}: SQLAlchemy opens up to {@code
     * pool_size + max_overflow} connections, and Cistern's pool, which has no overflow, may open as many.
     */
    private int poolSize() {
        int base = env.integer("DB_POOL_SIZE", DatabaseSettings.DEFAULT_POOL_SIZE, 1);
        if (env.isSet("DB_POOL_SIZE")) {
            sources.put("poolSize", "DB_POOL_SIZE");
        }
        if (!env.isSet("DB_MAX_OVERFLOW")) {
            return base;
        }
        int overflow = env.integer("DB_MAX_OVERFLOW", 0, 0);
        sources.put("poolSize", (env.isSet("DB_POOL_SIZE") ? "DB_POOL_SIZE" : "default") + " + DB_MAX_OVERFLOW");
        return Math.addExact(base, overflow);
    }

    /** SQLAlchemy's {@code pool_recycle}, in seconds; its {@code -1} (never) has no equivalent here. */
    private Optional<Candidate> poolRecycle() {
        Optional<Duration> value = env.seconds("DB_POOL_RECYCLE");
        if (value.isPresent() && value.get().isNegative()) {
            throw new IllegalArgumentException(
                    "DB_POOL_RECYCLE is " + env.get("DB_POOL_RECYCLE").orElseThrow()
                            + " (never recycle), which Cistern does not support: a pooled connection is always replaced"
                            + " after a while, so that proxies and failovers are followed; unset DB_POOL_RECYCLE (default"
                            + " 1800 seconds) or give at least 30 seconds");
        }
        return atLeast("DB_POOL_RECYCLE", value, Duration.ofSeconds(30));
    }

    private Optional<Candidate> millis(String name) {
        return env.millis(name).map(d -> new Candidate(name, Long.toString(d.toMillis())));
    }

    /** Milliseconds under a name that does not say its unit, checked here so that the message names it. */
    private Optional<Candidate> aliasMillis(String name) {
        Optional<Duration> value = env.millis(name);
        if (value.isPresent() && value.get().isNegative()) {
            throw new IllegalArgumentException(name + " must be a number of milliseconds, 0 or more, was "
                    + value.get().toMillis());
        }
        return value.map(d -> new Candidate(name, Long.toString(d.toMillis())));
    }

    /** Seconds, at least {@code min}, checked here so that the message names the variable and its unit. */
    private Optional<Candidate> seconds(String name, Duration min) {
        return atLeast(name, env.seconds(name), min);
    }

    private Optional<Candidate> atLeast(String name, Optional<Duration> value, Duration min) {
        if (value.isPresent() && value.get().compareTo(min) < 0) {
            throw new IllegalArgumentException(name + " must be at least " + min.toSeconds() + " seconds, was "
                    + env.get(name).orElseThrow());
        }
        return value.map(d -> new Candidate(name, Long.toString(d.toMillis())));
    }

    /**
     * A duration from {@code DATABASE_URL} (whole seconds, as pgjdbc and libpq take it), else from the {@code DB_*}
     * variables that set it (converted to milliseconds; two that differ are an error), else the fallback.
     */
    private Duration timing(
            String part, String fromUrl, int urlMinSeconds, List<Optional<Candidate>> variables, Duration fallback) {
        String urlMillis = fromUrl == null
                ? null
                : Long.toString(Duration.ofSeconds(EnvironmentReader.parseInteger(
                                describe(part) + " in DATABASE_URL", fromUrl, urlMinSeconds))
                        .toMillis());
        List<Candidate> level = variables.stream().flatMap(Optional::stream).toList();
        String chosen = pick(part, urlMillis, level, List.of(), List.of());
        return chosen == null ? fallback : Duration.ofMillis(Long.parseLong(chosen));
    }

    private Optional<Secret> password() {
        List<List<String>> levels =
                List.of(List.of("DB_PASSWORD"), List.of("DATABASE_PASSWORD", "AWS_DB_PASSWORD"), List.of("PGPASSWORD"));
        String fromUrl = firstNonNull(url == null ? null : url.password(), takeParam("password"));
        if (credentials.isPresent()) {
            // Two sources of one password: neither can be said to be the one meant.
            String given = fromUrl != null
                    ? "DATABASE_URL carries a password"
                    : levels.stream()
                            .flatMap(List::stream)
                            .filter(env::secretIsSet)
                            .findFirst()
                            .map(name -> name + " is set")
                            .orElse(null);
            if (given != null) {
                throw new IllegalArgumentException(
                        given + ", and " + credentials.get().variable()
                                + " gives each connection its password ("
                                + credentials.get().describe()
                                + "): keep one of them");
            }
            sources.put("password", credentials.get().variable());
            return Optional.empty();
        }
        if (fromUrl != null) {
            sources.put("password", "DATABASE_URL");
            levels.stream()
                    .flatMap(List::stream)
                    .filter(env::secretIsSet)
                    .forEach(name -> env.ignored(
                            "password",
                            "DATABASE_URL",
                            name,
                            name + " is ignored: DATABASE_URL carries a password, which wins"));
            return Optional.of(Secret.of(fromUrl));
        }
        Optional<Secret> chosen = Optional.empty();
        String chosenFrom = null;
        for (List<String> level : levels) {
            if (chosen.isPresent()) {
                // A losing password file is not read: it need not even be readable here.
                for (String name : level) {
                    if (env.secretIsSet(name)) {
                        env.ignored(
                                "password",
                                chosenFrom,
                                name,
                                name + " is ignored: " + chosenFrom + " is set, which wins");
                    }
                }
                continue;
            }
            for (String name : level) {
                Optional<Secret> secret = env.secret(name);
                if (secret.isEmpty()) {
                    continue;
                }
                String from = env.isSet(name) ? name : name + "_FILE";
                if (chosen.isEmpty()) {
                    chosen = secret;
                    chosenFrom = from;
                } else if (!chosen.get().reveal().equals(secret.get().reveal())) {
                    throw new IllegalArgumentException(chosenFrom + " and " + from + " both set the database"
                            + " password, to different values: keep one of them (they have the same precedence,"
                            + " so neither wins)");
                }
            }
        }
        if (chosenFrom != null) {
            sources.put("password", chosenFrom);
        }
        return chosen;
    }

    private List<DatabaseSettings.Host> hosts(String hostText, String portText) {
        String[] names = hostText.split(",", -1);
        List<String> ports = new ArrayList<>();
        if (portText != null) {
            for (String p : portText.split(",", -1)) {
                ports.add(p.isEmpty() ? null : p);
            }
        }
        if (ports.size() > 1 && ports.size() != names.length) {
            throw new IllegalArgumentException("the database has " + names.length + " hosts but " + ports.size()
                    + " ports (from " + sourceOf("port") + "): give one port for all hosts or one per host");
        }
        List<DatabaseSettings.Host> hosts = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            String port = ports.isEmpty() ? null : ports.get(ports.size() == 1 ? 0 : i);
            int number = port == null ? 5432 : EnvironmentReader.parseInteger(sourceOf("port") + " port", port, 1);
            hosts.add(new DatabaseSettings.Host(names[i], number));
        }
        return hosts;
    }

    private String urlPorts() {
        if (url == null || url.ports().stream().allMatch(p -> p == null)) {
            return null;
        }
        return String.join(
                ",", url.ports().stream().map(p -> p == null ? "" : p).toList());
    }

    /**
     * The credential source the environment asks for ({@code AWS_DB_SECRET}, {@code AWS_SECRET_NAME}, {@code
     * DB_IAM_AUTH=true}), from the first {@link DatabaseCredentials.Source} on the classpath that provides it.
     */
    private Optional<DatabaseCredentials> credentials() {
        String asking = java.util.stream.Stream.of("AWS_DB_SECRET", "AWS_SECRET_NAME")
                .filter(env::isSet)
                .findFirst()
                .orElse(env.bool("DB_IAM_AUTH", false) ? "DB_IAM_AUTH" : null);
        if (asking == null) {
            if (env.isSet("DB_IAM_TOKEN_LIFETIME_MS")) {
                env.warn("DB_IAM_TOKEN_LIFETIME_MS is ignored: DB_IAM_AUTH is not true");
            }
            return Optional.empty();
        }
        for (DatabaseCredentials.Source source :
                ServiceLoader.load(DatabaseCredentials.Source.class, DatabaseResolution.class.getClassLoader())) {
            Optional<DatabaseCredentials> found = source.fromEnvironment(env);
            if (found.isPresent()) {
                return found;
            }
        }
        throw new IllegalArgumentException(
                asking + " is set, but the module that reads it is not on the classpath: add" + " the dependency "
                        + DatabaseCredentials.AWS_MODULE + " (ops/cistern includes it), or unset " + asking);
    }

    /** An alias level: the variables among {@code names} that are set, and the credential source's value if any. */
    private List<Candidate> aliases(String part, String... names) {
        List<Candidate> level = set(names);
        credentials.ifPresent(c -> {
            String value = c.connection().get(part);
            if (value != null) {
                level.add(new Candidate(c.variable() + "'s " + part, value));
            }
        });
        return level;
    }

    /** A variable that is set, and its value (in the part's common unit where the variables' units differ). */
    private record Candidate(String name, String value) {}

    /** The variables among {@code names} that are set: one precedence level. */
    private List<Candidate> set(String... names) {
        List<Candidate> level = new ArrayList<>();
        for (String name : names) {
            env.get(name).ifPresent(value -> level.add(new Candidate(name, value)));
        }
        return level;
    }

    /**
     * The URL's value, else that of the first level that sets the part: Cistern's {@code DB_*}, the alias families,
     * libpq's {@code PG*}. Records the source, and warns about each variable of a lower level that it overrides with
     * a different value; two variables of one level that disagree are an error.
     */
    private String pick(
            String part, String fromUrl, List<Candidate> cistern, List<Candidate> aliases, List<Candidate> libpq) {
        String chosen = null;
        String chosenFrom = null;
        if (fromUrl != null && !fromUrl.isEmpty()) {
            chosen = fromUrl;
            chosenFrom = "DATABASE_URL";
        }
        for (List<Candidate> level : List.of(cistern, aliases, libpq)) {
            for (int i = 1; i < level.size(); i++) {
                if (!level.get(i).value().equals(level.get(0).value())) {
                    throw new IllegalArgumentException(level.get(0).name() + " and "
                            + level.get(i).name()
                            + " both set the " + describe(part) + ", to different values: keep one of them (they"
                            + " have the same precedence, so neither wins)");
                }
            }
            for (Candidate candidate : level) {
                if (chosen == null) {
                    chosen = candidate.value();
                    chosenFrom = candidate.name();
                } else if (!candidate.value().equals(chosen)) {
                    env.ignored(
                            part,
                            chosenFrom,
                            candidate.name(),
                            candidate.name() + " is ignored: " + chosenFrom + " sets the " + describe(part)
                                    + ", which wins");
                }
            }
        }
        if (chosenFrom != null) {
            sources.put(part, chosenFrom);
        }
        return chosen;
    }

    private String sourceOf(String part) {
        return sources.getOrDefault(part, "default");
    }

    private String takeParam(String name) {
        for (String key : List.copyOf(urlParams.keySet())) {
            if (key.equalsIgnoreCase(name)) {
                return urlParams.remove(key);
            }
        }
        return null;
    }

    private static String describe(String part) {
        return switch (part) {
            case "sslMode" -> "TLS mode";
            case "sslRootCert" -> "root certificate";
            case "targetServerType" -> "target server type";
            case "applicationName" -> "application name";
            case "connectTimeout" -> "connect timeout";
            case "socketTimeout" -> "socket timeout";
            case "maxLifetime" -> "connection max lifetime";
            case "idleInTransactionTimeout" -> "idle-in-transaction timeout";
            default -> part;
        };
    }

    private static String firstNonNull(String a, String b) {
        return a != null ? a : b;
    }

    private static String orElse(String value, String fallback) {
        return value == null ? fallback : value;
    }
}
