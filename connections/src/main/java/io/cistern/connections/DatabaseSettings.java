package io.cistern.connections;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Collectors;

/**
 * How to reach PostgreSQL and how to pool connections to it. Immutable; every value and combination is validated when
 * built, with a message that says what to change. Changed by {@link #mutate()}.
 *
 * <p>Resolved from the environment by {@link #fromEnvironment(Map)}. For each part the first source that sets it wins:
 *
 * <ol>
 *   <li>{@code DATABASE_URL}: {@code postgres://user:password@host:port/db?sslmode=...}, {@code postgresql://...},
 *       SQLAlchemy's {@code postgresql+asyncpg://...} ({@code +psycopg}, {@code +psycopg2}, {@code +pg8000}; the
 *       driver part is ignored) or {@code jdbc:postgresql://...}, with several {@code host:port} pairs separated by
 *       commas;
 *   <li>Cistern's variables: {@code DB_HOST}, {@code DB_PORT}, {@code DB_NAME}, {@code DB_USER}, {@code
 *       DB_PASSWORD}, {@code DB_SSL_MODE}, {@code DB_SSL_ROOT_CERT} (or {@code DB_SSL_CERT_PATH}), {@code
 *       DB_TARGET_SERVER_TYPE}, {@code DB_APPLICATION_NAME};
 *   <li>the aliases of teams' Python services: {@code DATABASE_HOST}/{@code _PORT}/{@code _NAME}/{@code
 *       _USER}/{@code _PASSWORD}, {@code AWS_DB_HOST}/{@code _PORT}/{@code _NAME}/{@code _USER}/{@code _PASSWORD},
 *       {@code AWS_REQUIRE_SSL}, {@code AWS_SSLROOTCERT};
 *   <li>libpq's {@code PGHOST}, {@code PGPORT}, {@code PGDATABASE}, {@code PGUSER}, {@code PGPASSWORD}, {@code
 *       PGSSLMODE}, {@code PGSSLROOTCERT}, {@code PGTARGETSESSIONATTRS}, {@code PGAPPNAME};
 *   <li>defaults: {@code 127.0.0.1:5432}, database {@code postgres}, user {@code postgres}, no password, {@code
 *       sslmode=prefer}, target server type {@code primary}, application name {@code cistern}.
 * </ol>
 *
 * Every password variable also has a {@code _FILE} form (setting both is an error). Pool and timeout variables have no
 * libpq equivalent: {@code DB_POOL_SIZE} (4), {@code DB_CONNECT_TIMEOUT_MS} (5000), {@code DB_MAX_LIFETIME_MS}
 * (1800000), {@code DB_KEEPALIVE_TIME_MS} (120000), {@code DB_STATEMENT_TIMEOUT_MS} (30000, 0 = none), {@code
 * DB_IDLE_IN_TRANSACTION_TIMEOUT_MS} (60000, 0 = none), {@code DB_SOCKET_TIMEOUT_MS} (60000, 0 = none), {@code
 * DB_TCP_KEEPALIVE} (true); SQLAlchemy's pool settings are read as aliases of them, in their own units ({@code
 * DB_MAX_OVERFLOW}, {@code DB_POOL_TIMEOUT}, {@code DB_POOL_RECYCLE}, {@code DB_POOL_PRE_PING}, {@code
 * DB_IDLE_TIMEOUT}, {@code DB_READ_TIMEOUT}, {@code SQL_ECHO}). Two variables of one level that disagree are an error
 * naming both. {@code DB_POOLER} ({@code none}, or {@code pgbouncer} behind a transaction-mode pooler: see {@link
 * Pooler}). {@code docs/configuration.md} has the full table.
 *
 * @param hosts the servers to try, in order (several for a primary with replicas)
 * @param database the database name
 * @param user the database user
 * @param password the password, if any
 * @param credentials where each new connection's user and password come from instead, when they are not fixed: a
 *     secret in AWS Secrets Manager or RDS IAM tokens (see {@link DatabaseCredentials}); then {@code password} is empty
 * @param sslMode how TLS is used
 * @param sslRootCert the root certificate (PEM) that signs the server's certificate, for {@code verify-ca} and {@code
 *     verify-full}
 * @param targetServerType which of the hosts to use
 * @param applicationName shown in {@code pg_stat_activity} and in the server's log
 * @param poolSize the connection pool's maximum size
 * @param connectTimeout how long to wait for a connection (TCP and authentication, and for a free pooled connection)
 * @param maxLifetime how long a pooled connection lives; set it below any limit a proxy or the server enforces
 * @param keepaliveTime how often an idle pooled connection is tested, so a dropped one is noticed; zero for never
 * @param statementTimeout the server cancels a statement that runs longer; zero for no limit
 * @param idleInTransactionTimeout the server ends a session idle inside a transaction for longer; zero for no limit
 * @param socketTimeout the driver gives up on a server that sends nothing for this long; zero for no limit
 * @param tcpKeepAlive whether TCP keepalive is enabled on connections
 * @param sqlEcho {@code SQL_ECHO}: whether the pools of {@link DataSources} log each statement they execute, at INFO with
 *     values redacted (see {@code StatementEcho})
 * @param pooler {@code DB_POOLER}: whether a transaction-mode pooler stands in front of PostgreSQL, which changes how
 *     the timeouts reach the server and whether pgjdbc prepares statements on the server ({@link Pooler})
 * @param parameters further pgjdbc parameters given in {@code DATABASE_URL}, passed on as they are
 * @param sources which variable gave each part, for {@link #describe()}
 * @param warnings what resolution noticed and fixed or ignored, to log at startup
 */
public record DatabaseSettings(
        List<Host> hosts,
        String database,
        String user,
        Optional<Secret> password,
        Optional<DatabaseCredentials> credentials,
        SslMode sslMode,
        Optional<Path> sslRootCert,
        TargetServerType targetServerType,
        String applicationName,
        int poolSize,
        Duration connectTimeout,
        Duration maxLifetime,
        Duration keepaliveTime,
        Duration statementTimeout,
        Duration idleInTransactionTimeout,
        Duration socketTimeout,
        boolean tcpKeepAlive,
        boolean sqlEcho,
        Pooler pooler,
        Map<String, String> parameters,
        Map<String, String> sources,
        List<String> warnings) {

    public static final int DEFAULT_POOL_SIZE = 4;
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_MAX_LIFETIME = Duration.ofMinutes(30);
    public static final Duration DEFAULT_KEEPALIVE_TIME = Duration.ofMinutes(2);
    public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_SOCKET_TIMEOUT = Duration.ofSeconds(60);

    /** HikariCP's lower bounds; below them it silently substitutes its own values, so they are rejected here. */
    private static final Duration MIN_LIFETIME = Duration.ofSeconds(30);

    private static final Duration MIN_CONNECT_TIMEOUT = Duration.ofSeconds(1);

    /** Parameters this record manages; they are never passed through {@link #parameters()}. */
    private static final List<String> MANAGED = List.of(
            "user",
            "password",
            "sslmode",
            "sslrootcert",
            "targetservertype",
            "target_session_attrs",
            "applicationname",
            "application_name",
            "connecttimeout",
            "connect_timeout",
            "logintimeout",
            "sockettimeout",
            "tcpkeepalive");

    /** One server: a host name or address, and a port. */
    public record Host(String host, int port) {
        public Host {
            Objects.requireNonNull(host, "host");
            if (host.isEmpty()) {
                throw new IllegalArgumentException("the database host is empty: set DB_HOST or DATABASE_URL");
            }
            if (host.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("database host '" + host + "' contains whitespace: remove it (a"
                        + " stray space or line break copied along with the name is a common slip)");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("database port must be between 1 and 65535, was " + port);
            }
        }

        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    public DatabaseSettings {
        hosts = List.copyOf(hosts);
        if (hosts.isEmpty()) {
            throw new IllegalArgumentException("no database host: set DB_HOST or DATABASE_URL");
        }
        requireText(database, "database name", "DB_NAME");
        requireText(user, "database user", "DB_USER");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(sslMode, "sslMode");
        if (credentials.isPresent() && credentials.get().requiresTls() && sslMode.compareTo(SslMode.REQUIRE) < 0) {
            throw new IllegalArgumentException(credentials.get().variable() + " needs TLS, and the TLS mode is "
                    + sslMode + " (" + variable(sources, "sslMode") + "): set DB_SSL_MODE=verify-full with"
                    + " DB_SSL_ROOT_CERT (for RDS, global-bundle.pem), or at least require; the token is the password");
        }
        Objects.requireNonNull(sslRootCert, "sslRootCert");
        Objects.requireNonNull(targetServerType, "targetServerType");
        requireText(applicationName, "application name", "DB_APPLICATION_NAME");
        if (sslRootCert.isPresent()) {
            if (sslMode == SslMode.DISABLE) {
                throw new IllegalArgumentException("DB_SSL_ROOT_CERT is set but DB_SSL_MODE is disable: set"
                        + " DB_SSL_MODE=verify-full to use the certificate, or unset DB_SSL_ROOT_CERT");
            }
            if (!Files.isReadable(sslRootCert.get())) {
                throw new IllegalArgumentException("DB_SSL_ROOT_CERT names " + sslRootCert.get()
                        + ", which does not exist or cannot be read: check the path (for Amazon RDS, download"
                        + " global-bundle.pem from https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem)");
            }
        }
        if (poolSize < 1) {
            throw new IllegalArgumentException("DB_POOL_SIZE must be at least 1, was " + poolSize);
        }
        requireAtLeast(connectTimeout, MIN_CONNECT_TIMEOUT, "DB_CONNECT_TIMEOUT_MS");
        requireAtLeast(maxLifetime, MIN_LIFETIME, "DB_MAX_LIFETIME_MS");
        requireNotNegative(keepaliveTime, "DB_KEEPALIVE_TIME_MS");
        if (!keepaliveTime.isZero()) {
            requireAtLeast(keepaliveTime, MIN_LIFETIME, "DB_KEEPALIVE_TIME_MS");
            if (keepaliveTime.compareTo(maxLifetime) >= 0) {
                throw new IllegalArgumentException("DB_KEEPALIVE_TIME_MS (" + keepaliveTime.toMillis()
                        + ") must be shorter than "
                        + variable(sources, "maxLifetime", "DB_MAX_LIFETIME_MS", maxLifetime)
                        + ", or set it to 0 to turn keepalive off");
            }
        }
        requireNotNegative(statementTimeout, "DB_STATEMENT_TIMEOUT_MS");
        requireNotNegative(idleInTransactionTimeout, "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS");
        requireNotNegative(socketTimeout, "DB_SOCKET_TIMEOUT_MS");
        if (!socketTimeout.isZero() && !statementTimeout.isZero() && socketTimeout.compareTo(statementTimeout) <= 0) {
            throw new IllegalArgumentException(variable(sources, "socketTimeout", "DB_SOCKET_TIMEOUT_MS", socketTimeout)
                    + " must be longer than DB_STATEMENT_TIMEOUT_MS ("
                    + statementTimeout.toMillis() + "), or a slow statement is cut off as if the network had failed");
        }
        parameters = Map.copyOf(parameters);
        for (String key : parameters.keySet()) {
            if (MANAGED.contains(key.toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException(
                        "parameter " + key + " is managed by DatabaseSettings: set its own component instead");
            }
        }
        Objects.requireNonNull(pooler, "pooler");
        if (pooler.poolsTransactions()) {
            requireNoSessionParameters(parameters, sources, pooler);
        }
        sources = Map.copyOf(sources);
        warnings = List.copyOf(warnings);
    }

    /** Settings for a JDBC URL that may carry {@code user} and {@code password} parameters, for tools and tests. */
    public static DatabaseSettings ofJdbcUrl(String url) {
        return fromEnvironment(Map.of("DATABASE_URL", url));
    }

    /** Resolves the settings from environment variables (see the class comment for the precedence). */
    public static DatabaseSettings fromEnvironment(Map<String, String> environment) {
        return new DatabaseResolution(new EnvironmentReader(environment)).resolve();
    }

    /**
     * The JDBC URL, without user, password or other secrets (see {@link #driverProperties()}): hosts, database, TLS,
     * target server type, application name, timeouts and TCP keepalive. Directly ({@link Pooler#NONE}), the statement
     * and idle-in-transaction timeouts travel in the startup packet ({@code options}), so they hold from the first
     * statement of every connection. Behind a transaction-mode pooler there are no startup {@code options} (the pools
     * of {@link DataSources} set the timeouts in each transaction instead) and {@code prepareThreshold=0}.
     */
    public String jdbcUrl() {
        StringBuilder url = new StringBuilder("jdbc:postgresql://")
                .append(hosts.stream().map(Host::toString).collect(Collectors.joining(",")))
                .append('/')
                .append(encode(database));
        Map<String, String> query = new LinkedHashMap<>();
        query.put("ApplicationName", applicationName);
        query.put("sslmode", sslMode.value());
        sslRootCert.ifPresent(p -> query.put("sslrootcert", p.toString()));
        query.put("targetServerType", targetServerType.value());
        query.put("connectTimeout", Long.toString(ceilSeconds(connectTimeout)));
        // Bounds the whole login (TCP, TLS, authentication), not only the TCP handshake.
        query.put("loginTimeout", Long.toString(ceilSeconds(connectTimeout)));
        query.put("socketTimeout", Long.toString(ceilSeconds(socketTimeout)));
        query.put("tcpKeepAlive", Boolean.toString(tcpKeepAlive));
        if (pooler.poolsTransactions()) {
            // A server-side prepared statement lives in one server session; the next transaction may run in another.
            query.put("prepareThreshold", "0");
            // Otherwise pgjdbc sets extra_float_digits and application_name with session SETs after connecting, which
            // would stay in whichever server session ran them; with the server's version known (Cistern needs 13 or
            // later) they travel in the startup packet, where PgBouncer keeps application_name per client.
            query.put("assumeMinServerVersion", "13");
        } else {
            String options = "-c statement_timeout=" + statementTimeout.toMillis()
                    + " -c idle_in_transaction_session_timeout=" + idleInTransactionTimeout.toMillis();
            // Options given in DATABASE_URL come last, so the server applies them over these defaults.
            String given = parameters.get("options");
            query.put("options", given == null ? options : options + " " + given);
        }
        parameters.forEach((key, value) -> {
            if (!isSecretKey(key)) {
                query.putIfAbsent(key, value);
            }
        });
        char separator = '?';
        for (Map.Entry<String, String> e : query.entrySet()) {
            url.append(separator).append(e.getKey()).append('=').append(encode(e.getValue()));
            separator = '&';
        }
        return url.toString();
    }

    /**
     * What the driver needs besides {@link #jdbcUrl()}: {@code user}, {@code password} and secret parameters from
     * {@code DATABASE_URL} (such as {@code sslpassword}), kept out of the URL so that printing the URL is safe. Pass it
     * to {@code DriverManager.getConnection(url, properties)}; never log it.
     */
    public Properties driverProperties() {
        Properties properties = new Properties();
        if (credentials.isPresent()) {
            // Asked for each connection: a rotated secret or a renewed token is used from the next connection on.
            DatabaseCredentials.Login login = credentials.get().login(this);
            properties.setProperty("user", login.user());
            properties.setProperty("password", login.password().reveal());
        } else {
            properties.setProperty("user", user);
            password.ifPresent(p -> properties.setProperty("password", p.reveal()));
        }
        parameters.forEach((key, value) -> {
            if (isSecretKey(key)) {
                properties.setProperty(key, value);
            }
        });
        return properties;
    }

    /**
     * A builder holding these settings, to change some of them: {@code
     * settings.mutate().targetServerType(TargetServerType.PREFER_SECONDARY).build()} for reads from replicas, {@code
     * settings.mutate().poolSize(2).build()} for a component that knows how many connections it needs.
     */
    public Builder mutate() {
        return new Builder(this);
    }

    /**
     * Changes some of a {@link DatabaseSettings}' values; {@link #build()} validates them all, as the constructor does.
     * {@link #sources()} still say where each value came from, so set a value given by something other than the
     * environment only where {@link #describe()} need not name its source. Not thread-safe; one per change.
     */
    public static final class Builder {
        private List<Host> hosts;
        private String database;
        private String user;
        private Optional<Secret> password;
        private Optional<DatabaseCredentials> credentials;
        private SslMode sslMode;
        private Optional<Path> sslRootCert;
        private TargetServerType targetServerType;
        private String applicationName;
        private int poolSize;
        private Duration connectTimeout;
        private Duration maxLifetime;
        private Duration keepaliveTime;
        private Duration statementTimeout;
        private Duration idleInTransactionTimeout;
        private Duration socketTimeout;
        private boolean tcpKeepAlive;
        private boolean sqlEcho;
        private Pooler pooler;
        private Map<String, String> parameters;
        private Map<String, String> sources;
        private List<String> warnings;

        private Builder(DatabaseSettings from) {
            hosts = from.hosts;
            database = from.database;
            user = from.user;
            password = from.password;
            credentials = from.credentials;
            sslMode = from.sslMode;
            sslRootCert = from.sslRootCert;
            targetServerType = from.targetServerType;
            applicationName = from.applicationName;
            poolSize = from.poolSize;
            connectTimeout = from.connectTimeout;
            maxLifetime = from.maxLifetime;
            keepaliveTime = from.keepaliveTime;
            statementTimeout = from.statementTimeout;
            idleInTransactionTimeout = from.idleInTransactionTimeout;
            socketTimeout = from.socketTimeout;
            tcpKeepAlive = from.tcpKeepAlive;
            sqlEcho = from.sqlEcho;
            pooler = from.pooler;
            parameters = from.parameters;
            sources = from.sources;
            warnings = from.warnings;
        }

        public Builder hosts(List<Host> value) {
            hosts = value;
            return this;
        }

        public Builder database(String value) {
            database = value;
            return this;
        }

        public Builder user(String value) {
            user = value;
            return this;
        }

        public Builder password(Optional<Secret> value) {
            password = value;
            return this;
        }

        public Builder credentials(Optional<DatabaseCredentials> value) {
            credentials = value;
            return this;
        }

        public Builder sslMode(SslMode value) {
            sslMode = value;
            return this;
        }

        public Builder sslRootCert(Optional<Path> value) {
            sslRootCert = value;
            return this;
        }

        public Builder targetServerType(TargetServerType value) {
            targetServerType = value;
            return this;
        }

        public Builder applicationName(String value) {
            applicationName = value;
            return this;
        }

        public Builder poolSize(int value) {
            poolSize = value;
            return this;
        }

        public Builder connectTimeout(Duration value) {
            connectTimeout = value;
            return this;
        }

        public Builder maxLifetime(Duration value) {
            maxLifetime = value;
            return this;
        }

        public Builder keepaliveTime(Duration value) {
            keepaliveTime = value;
            return this;
        }

        public Builder statementTimeout(Duration value) {
            statementTimeout = value;
            return this;
        }

        public Builder idleInTransactionTimeout(Duration value) {
            idleInTransactionTimeout = value;
            return this;
        }

        public Builder socketTimeout(Duration value) {
            socketTimeout = value;
            return this;
        }

        public Builder tcpKeepAlive(boolean value) {
            tcpKeepAlive = value;
            return this;
        }

        public Builder sqlEcho(boolean value) {
            sqlEcho = value;
            return this;
        }

        public Builder pooler(Pooler value) {
            pooler = value;
            return this;
        }

        public Builder parameters(Map<String, String> value) {
            parameters = value;
            return this;
        }

        public Builder sources(Map<String, String> value) {
            sources = value;
            return this;
        }

        public Builder warnings(List<String> value) {
            warnings = value;
            return this;
        }

        /**
         * The settings.
         *
         * @throws IllegalArgumentException naming the value (by its variable) or combination that is wrong
         */
        public DatabaseSettings build() {
            return new DatabaseSettings(
                    hosts,
                    database,
                    user,
                    password,
                    credentials,
                    sslMode,
                    sslRootCert,
                    targetServerType,
                    applicationName,
                    poolSize,
                    connectTimeout,
                    maxLifetime,
                    keepaliveTime,
                    statementTimeout,
                    idleInTransactionTimeout,
                    socketTimeout,
                    tcpKeepAlive,
                    sqlEcho,
                    pooler,
                    parameters,
                    sources,
                    warnings);
        }
    }

    /**
     * The effective configuration, one line per aspect with the variable each value came from, to log at startup.
     * Secrets appear as {@code ****}.
     */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        lines.add("PostgreSQL " + hosts.stream().map(Host::toString).collect(Collectors.joining(", ")) + " ("
                + source("host") + "), database " + database + " (" + source("database") + "), user " + user + " ("
                + source("user") + "), password "
                + (credentials.isPresent()
                        ? "from " + credentials.get().describe()
                        : password.isPresent() ? "**** (" + source("password") + ")" : "not set"));
        lines.add("PostgreSQL TLS: sslmode " + sslMode + " (" + source("sslMode") + ")"
                + sslRootCert
                        .map(p -> ", root certificate " + p + " (" + source("sslRootCert") + ")")
                        .orElse("")
                + "; target server type " + targetServerType + " (" + source("targetServerType")
                + "); application name " + applicationName + " (" + source("applicationName") + ")");
        lines.add("PostgreSQL pool: " + poolSize + " connections, connect timeout " + connectTimeout.toMillis()
                + " ms, max lifetime " + maxLifetime.toMillis() + " ms, keepalive " + millisOrOff(keepaliveTime));
        lines.add("PostgreSQL timeouts: statement " + millisOrOff(statementTimeout) + ", idle in transaction "
                + millisOrOff(idleInTransactionTimeout) + ", socket " + millisOrOff(socketTimeout)
                + ", TCP keepalive " + (tcpKeepAlive ? "on" : "off")
                + (sqlEcho ? "; statements logged (" + source("sqlEcho") + ")" : ""));
        if (pooler.poolsTransactions()) {
            lines.add("PostgreSQL behind a transaction-mode pooler (" + source("pooler") + "): timeouts set with SET"
                    + " LOCAL in each transaction, no server-side prepared statements");
        }
        if (!parameters.isEmpty()) {
            lines.add("PostgreSQL driver parameters: "
                    + parameters.entrySet().stream()
                            .map(e -> e.getKey() + "=" + (isSecretKey(e.getKey()) ? "****" : e.getValue()))
                            .collect(Collectors.joining(", ")));
        }
        return List.copyOf(lines);
    }

    /** The first host, for messages. */
    Host primaryHost() {
        return hosts.get(0);
    }

    private String source(String part) {
        return sources.getOrDefault(part, "default");
    }

    static boolean isSecretKey(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("password") || k.contains("secret") || k.contains("token");
    }

    @Override
    public String toString() {
        return "DatabaseSettings[url=" + jdbcUrl() + ", user=" + user + ", password="
                + (credentials.isPresent()
                        ? "from " + credentials.get().describe()
                        : password.isPresent() ? "****" : "(none)")
                + ", poolSize=" + poolSize + "]";
    }

    private static String millisOrOff(Duration d) {
        return d.isZero() ? "off" : d.toMillis() + " ms";
    }

    private static long ceilSeconds(Duration d) {
        return (d.toMillis() + 999) / 1000;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static void requireText(String value, String what, String variable) {
        Objects.requireNonNull(value, what);
        if (value.isBlank()) {
            throw new IllegalArgumentException("the " + what + " is empty: set " + variable);
        }
    }

    /**
     * Behind a transaction-mode pooler a parameter that makes session state cannot work: startup {@code options}
     * (PgBouncer refuses them or drops them), server-side prepared statements.
     */
    private static void requireNoSessionParameters(
            Map<String, String> parameters, Map<String, String> sources, Pooler pooler) {
        String poolerFrom = sources == null ? "DB_POOLER" : sources.getOrDefault("pooler", "DB_POOLER");
        if (parameters.containsKey("options")) {
            throw new IllegalArgumentException(
                    "DATABASE_URL's options parameter cannot pass a transaction-mode pooler ("
                            + poolerFrom + "=" + pooler
                            + "): PgBouncer refuses startup options, or drops them. Remove it from"
                            + " DATABASE_URL and set those parameters on the role instead (ALTER ROLE <user> IN DATABASE <db>"
                            + " SET <name> = <value>)");
        }
        for (Map.Entry<String, String> e : parameters.entrySet()) {
            if (e.getKey().equalsIgnoreCase("prepareThreshold")
                    && !e.getValue().strip().equals("0")) {
                throw new IllegalArgumentException("DATABASE_URL's prepareThreshold=" + e.getValue()
                        + " makes pgjdbc prepare statements on the server, which a transaction-mode pooler ("
                        + poolerFrom + "=" + pooler + ") cannot follow from one server connection to the next:"
                        + " remove it (Cistern sets prepareThreshold=0 behind a pooler)");
            }
        }
    }

    private static void requireNotNegative(Duration d, String variable) {
        Objects.requireNonNull(d, variable);
        if (d.isNegative()) {
            throw new IllegalArgumentException(variable + " must not be negative, was " + d.toMillis());
        }
    }

    /**
     * The variable that gave {@code part}, for a message about a combination: an alias such as {@code
     * DB_READ_TIMEOUT} when it gave the value, so that the message names what the user actually set; then the value,
     * in milliseconds ({@code "DB_READ_TIMEOUT (30000 ms)"}, {@code "DB_SOCKET_TIMEOUT_MS (30000)"}).
     */
    private static String variable(Map<String, String> sources, String part, String fallback, Duration value) {
        String from = sources == null ? null : sources.get(part);
        String name = from == null ? fallback : from.equals("DATABASE_URL") ? "DATABASE_URL's " + part : from;
        return name + " (" + value.toMillis() + (name.endsWith("_MS") ? ")" : " ms)");
    }

    /** The variable that gave {@code part}, for a message ({@code "DB_SSL_MODE"}, {@code "default"}). */
    private static String variable(Map<String, String> sources, String part) {
        return sources == null ? "default" : sources.getOrDefault(part, "default");
    }

    private static void requireAtLeast(Duration d, Duration min, String variable) {
        Objects.requireNonNull(d, variable);
        if (d.compareTo(min) < 0) {
            throw new IllegalArgumentException(
                    variable + " must be at least " + min.toMillis() + " ms, was " + d.toMillis() + " ms");
        }
    }

    /** A DATABASE_URL taken apart. */
    record ParsedUrl(
            List<String> hosts,
            List<String> ports,
            String database,
            String user,
            String password,
            Map<String, String> params) {

        /** SQLAlchemy's {@code dialect+driver://}, as Python services write {@code DATABASE_URL}. */
        private static final java.util.regex.Pattern SQLALCHEMY_SCHEME =
                java.util.regex.Pattern.compile("(?i)(postgres|postgresql)\\+([a-z0-9_]+)://");

        private static final List<String> SQLALCHEMY_DRIVERS = List.of("asyncpg", "psycopg", "psycopg2", "pg8000");

        static ParsedUrl parse(String url) {
            String rest;
            java.util.regex.Matcher sqlalchemy = SQLALCHEMY_SCHEME.matcher(url);
            if (sqlalchemy.lookingAt()) {
                if (!SQLALCHEMY_DRIVERS.contains(sqlalchemy.group(2).toLowerCase(Locale.ROOT))) {
                    throw new IllegalArgumentException("DATABASE_URL names the Python driver '"
                            + sqlalchemy.group(2) + "', which Cistern does not know: use postgresql+asyncpg://,"
                            + " +psycopg://, +psycopg2://, +pg8000:// or plain postgresql:// (the driver part is"
                            + " ignored: Cistern always uses pgjdbc)");
                }
                // SQLAlchemy's form: the driver part names a Python driver and means nothing to Cistern.
                url = "postgresql://" + url.substring(sqlalchemy.end());
            }
            if (url.startsWith("jdbc:postgresql://")) {
                rest = url.substring("jdbc:postgresql://".length());
            } else if (url.startsWith("postgres://")) {
                rest = url.substring("postgres://".length());
            } else if (url.startsWith("postgresql://")) {
                rest = url.substring("postgresql://".length());
            } else {
                throw new IllegalArgumentException("DATABASE_URL must start with postgres://, postgresql://,"
                        + " postgresql+asyncpg:// (or +psycopg, +psycopg2, +pg8000) or jdbc:postgresql:// (it"
                        + " starts with '"
                        // Only the scheme: what follows may be a user and a password.
                        + (url.contains("://") ? url.substring(0, url.indexOf("://") + 3) : "(no scheme)")
                        + "...')");
            }
            String user = null;
            String password = null;
            int slashAt = rest.indexOf('/');
            int at = rest.lastIndexOf('@', slashAt < 0 ? rest.length() : slashAt);
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
            String hostPorts = slash < 0 ? rest : rest.substring(0, slash);
            String database = slash < 0 ? null : decode(rest.substring(slash + 1));
            List<String> hosts = new ArrayList<>();
            List<String> ports = new ArrayList<>();
            if (!hostPorts.isEmpty()) {
                for (String entry : hostPorts.split(",", -1)) {
                    splitHostPort(entry, hosts, ports);
                }
            }
            Map<String, String> params = new LinkedHashMap<>();
            if (!query.isEmpty()) {
                for (String kv : query.split("&")) {
                    if (kv.isEmpty()) {
                        continue;
                    }
                    int eq = kv.indexOf('=');
                    String k = decode(eq < 0 ? kv : kv.substring(0, eq));
                    String v = eq < 0 ? "" : decode(kv.substring(eq + 1));
                    params.put(k, v);
                }
            }
            return new ParsedUrl(
                    hosts,
                    ports,
                    database == null || database.isEmpty() ? null : database,
                    user == null || user.isEmpty() ? null : user,
                    password,
                    params);
        }

        private static void splitHostPort(String entry, List<String> hosts, List<String> ports) {
            String decoded = decode(entry);
            if (decoded.chars().anyMatch(Character::isWhitespace)) {
                // Keep the whitespace so that the Host check reports it with its hint.
                int colon = decoded.lastIndexOf(':');
                boolean hasPort =
                        colon > 0 && decoded.substring(colon + 1).chars().allMatch(Character::isDigit);
                hosts.add(hasPort ? decoded.substring(0, colon) : decoded);
                ports.add(hasPort ? decoded.substring(colon + 1) : null);
                return;
            }
            try {
                URI u = new URI("x://" + entry);
                if (u.getHost() != null) {
                    String host = u.getHost();
                    hosts.add(host.startsWith("[") ? host.substring(1, host.length() - 1) : host);
                    ports.add(u.getPort() < 0 ? null : Integer.toString(u.getPort()));
                    return;
                }
            } catch (URISyntaxException e) {
                // Not a host[:port] a URI accepts (for example an underscore in the name): split it by hand below.
            }
            int colon = entry.lastIndexOf(':');
            if (colon > 0 && !entry.endsWith("]")) {
                hosts.add(entry.substring(0, colon));
                ports.add(entry.substring(colon + 1));
            } else {
                hosts.add(entry);
                ports.add(null);
            }
        }

        private static String decode(String s) {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        }
    }
}
