package io.cistern.ops.doctor;

import io.cistern.connections.ConnectionFailure;
import io.cistern.connections.ConnectionFailureTranslator;
import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.SslMode;
import io.cistern.schema.function.FunctionLibrary;
import io.cistern.schema.function.MemoryGuard;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.pools.DatabasePool;
import io.cistern.schema.pools.PoolRegistry;
import io.cistern.schema.wire.ConfigFields;
import io.cistern.schema.wire.MetaFields;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Runs the doctor's checks against the configured Redis and PostgreSQL. Each check catches its own failure and turns
 * it into a result with a fix, so one broken thing never hides the others. Not thread-safe; one per run.
 *
 * <p>The {@code max_connections} check ({@link ConnectionBudget}) adds up the pools the live Cistern processes announced
 * in Redis ({@link PoolRegistry}), read while Redis is checked.
 */
public final class Doctor {
    /** Skew between this machine and a server above which lag ages and write times become misleading. */
    static final Duration CLOCK_SKEW_WARN = Duration.ofSeconds(1);

    static final Duration CLOCK_SKEW_FAIL = Duration.ofSeconds(30);
    private static final List<String> CISTERN_TABLES = List.of(
            "cistern_settings", "cistern_partition", "cistern_table", "cistern_tombstone", "cistern_dead_letter");

    private final RedisSettings redis;
    private final DatabaseSettings database;
    private final KeyLayout layout;
    private final OptionalInt plannedDatabaseClients;
    private final boolean behindPooler;
    private final InstantSource clock;
    private final List<Check> checks = new ArrayList<>();
    /** The pools announced in Redis; empty until Redis was read, and when it could not be. */
    private Optional<List<PoolRegistry.Announcement>> announcedPools = Optional.empty();

    /**
     * @param plannedDatabaseClients how many Cistern processes, each with a pool of {@code DB_POOL_SIZE}, the
     *     deployment will run (for processes not started yet); the {@code max_connections} check counts the larger
     *     of this and the pools announced. Empty: the announced pools only.
     * @param behindPooler whether the services connect through a connection pooler (PgBouncer, RDS Proxy)
     */
    public Doctor(
            RedisSettings redis,
            DatabaseSettings database,
            KeyLayout layout,
            OptionalInt plannedDatabaseClients,
            boolean behindPooler,
            InstantSource clock) {
        this.redis = redis;
        this.database = database;
        this.layout = layout;
        this.plannedDatabaseClients = plannedDatabaseClients;
        this.behindPooler = behindPooler;
        this.clock = clock;
    }

    public CheckReport run() {
        checkRedis();
        checkPostgres();
        return new CheckReport(checks);
    }

    // ------------------------------------------------------------------------------------------------------ Redis

    /**
     * Redis's checks: on a Redis Cluster, persistence, the eviction policy, the Function library and the memory guard
     * of every master, each finding naming its master ({@code master 10.0.0.7:6379: ...}); the partition count, the
     * announced pools and the clock once.
     */
    private void checkRedis() {
        String host = redis.uri().getHost();
        int port = redis.uri().getPort();
        if (host != null && !dnsAndTcp("redis", host, port, redis.connectTimeout())) {
            return;
        }
        try (RedisDeployment deployment = RedisDeployment.open(redis)) {
            deployment.sync().ping();
            List<RedisDeployment.Master> masters = deployment.masters();
            checks.add(Check.ok(
                    "redis.auth",
                    "PING answered at " + redis.redactedUrl()
                            + (deployment.isCluster() ? " (a Redis Cluster of " + masters.size() + " masters)" : "")));
            String partitions = deployment.sync().hget(layout.config(), ConfigFields.PARTITIONS);
            String published =
                    partitions == null ? null : deployment.sync().hget(layout.meta(0), MetaFields.MAX_MEMORY);
            for (RedisDeployment.Master master : masters) {
                String node = deployment.isCluster() ? "master " + master.address() + ": " : "";
                RedisCommands<String, String> r = master.sync();
                try {
                    redisPersistence(r, node);
                    redisEvictionPolicy(r, node);
                    functionLibrary(r, node, partitions);
                    memoryGuard(r, node, partitions, published);
                } catch (RuntimeException e) {
                    ConnectionFailure f = ConnectionFailureTranslator.translate(e, redis);
                    checks.add(Check.fail(
                            "redis.auth",
                            node + f.problem().name().toLowerCase(java.util.Locale.ROOT),
                            f.getMessage()));
                }
            }
            announcedPools = announcedPools(deployment.masterFor(layout.pools()).sync());
            clockSkew("redis.clock", serverTime(deployment.sync().time()));
        } catch (RuntimeException e) {
            ConnectionFailure f = ConnectionFailureTranslator.translate(e, redis);
            checks.add(Check.fail("redis.auth", f.problem().name().toLowerCase(java.util.Locale.ROOT), f.getMessage()));
        }
    }

    private void redisPersistence(RedisCommands<String, String> r, String node) {
        Map<String, String> aof;
        try {
            aof = r.configGet("appendonly", "appendfsync");
        } catch (RuntimeException e) {
            checks.add(Check.warn(
                    "redis.persistence",
                    node + "cannot read CONFIG (" + e.getMessage() + "); a managed Redis may hide it",
                    "make sure AOF is on (appendonly yes, appendfsync everysec or always) in the provider's settings"));
            return;
        }
        if ("yes".equals(aof.get("appendonly"))) {
            checks.add(Check.ok("redis.persistence", node + "AOF on, appendfsync " + aof.get("appendfsync")));
        } else {
            checks.add(Check.fail(
                    "redis.persistence",
                    node
                            + "AOF is off: writes buffered in Redis and not yet in PostgreSQL are lost when Redis restarts",
                    "set appendonly yes (appendfsync everysec loses at most a second; always loses nothing)"));
        }
    }

    private void redisEvictionPolicy(RedisCommands<String, String> r, String node) {
        String policy;
        try {
            policy = r.configGet("maxmemory-policy").get("maxmemory-policy");
        } catch (RuntimeException e) {
            checks.add(Check.warn(
                    "redis.maxmemory-policy",
                    node + "cannot read CONFIG (" + e.getMessage() + ")",
                    "make sure maxmemory-policy is noeviction in the provider's settings"));
            return;
        }
        if ("noeviction".equals(policy)) {
            checks.add(Check.ok("redis.maxmemory-policy", node + "noeviction"));
        } else if (policy != null && policy.startsWith("volatile-")) {
            checks.add(Check.ok(
                    "redis.maxmemory-policy",
                    node + policy + ": evicts only keys with a TTL, which Cistern sets on synced records alone"));
        } else {
            checks.add(Check.fail(
                    "redis.maxmemory-policy",
                    node + policy + " may evict records and stream entries that are not yet in PostgreSQL",
                    "set maxmemory-policy noeviction; Cistern refuses writes under its own memory limit instead"
                            + " (ops/cistern init --max-redis-memory)"));
        }
    }

    private void functionLibrary(RedisCommands<String, String> r, String node, String partitions) {
        int installed = FunctionLibrary.installedRevision(r);
        String name = FunctionLibrary.LIBRARY_NAME;
        if (installed < 0) {
            checks.add(Check.fail("redis.function-library", node + name + " is not loaded", "run ops/cistern init"));
        } else if (installed < FunctionLibrary.REVISION) {
            checks.add(Check.fail(
                    "redis.function-library",
                    node + name + " revision " + installed + " is older than this build's " + FunctionLibrary.REVISION,
                    "run ops/cistern init from this release to upgrade it"));
        } else if (installed > FunctionLibrary.REVISION) {
            checks.add(Check.warn(
                    "redis.function-library",
                    node + name + " revision " + installed + " is newer than this build's " + FunctionLibrary.REVISION,
                    "upgrade this installation of Cistern to the release that loaded it"));
        } else {
            if (partitions == null) {
                checks.add(Check.fail(
                        "redis.function-library",
                        node + name + " revision " + installed + " is loaded, but prefix '" + layout.prefix()
                                + "' is not initialised",
                        "run ops/cistern init (with --prefix " + layout.prefix() + ")"));
            } else {
                checks.add(Check.ok(
                        "redis.function-library",
                        node + name + " revision " + installed + "; prefix '" + layout.prefix() + "' has " + partitions
                                + " partitions"));
            }
        }
    }

    /**
     * Whether the buffer's memory is bounded before Redis runs out ({@link MemoryGuard}): the limit the Function
     * enforces, from the {@code max_memory} init published and Redis's memory now. A warning, not a failure: nothing is
     * lost until the host runs out of memory, but then everything may be.
     */
    private void memoryGuard(RedisCommands<String, String> r, String node, String partitions, String published) {
        if (partitions == null) {
            return; // not initialised: redis.function-library says so
        }
        MemoryGuard.RedisMemory memory = MemoryGuard.RedisMemory.parse(r.info("memory"));
        MemoryGuard.Limit limit = MemoryGuard.effective(published == null ? 0 : Long.parseLong(published), memory);
        Optional<String> problem = MemoryGuard.problem(limit, memory);
        if (problem.isPresent()) {
            checks.add(Check.warn(
                    "redis.memory-guard",
                    node + problem.get(),
                    "ops/cistern init --max-redis-memory auto; see docs/runbook.md, A long outage"));
        } else {
            checks.add(Check.ok(
                    "redis.memory-guard",
                    node + "writes refused with back-pressure from " + MemoryGuard.bytes(limit.bytes())
                            + " of Redis memory (" + limit.basis() + "); Redis uses "
                            + MemoryGuard.bytes(memory.usedMemory())));
        }
    }

    /**
     * The pools the live processes announced, for the {@code max_connections} check; empty when they cannot be read (a
     * Redis whose ACL forbids scripts), which that check then says, rather than failing the Redis checks.
     */
    private Optional<List<PoolRegistry.Announcement>> announcedPools(RedisCommands<String, String> r) {
        try {
            return Optional.of(new PoolRegistry(r, layout).live());
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Instant serverTime(List<String> time) {
        return Instant.ofEpochSecond(Long.parseLong(time.get(0)), Long.parseLong(time.get(1)) * 1000);
    }

    // ------------------------------------------------------------------------------------------------ PostgreSQL

    private void checkPostgres() {
        DatabaseSettings.Host first = database.hosts().get(0);
        if (!dnsAndTcp("postgres", first.host(), first.port(), database.connectTimeout())) {
            return;
        }
        try (Connection c = DriverManager.getConnection(database.jdbcUrl(), database.driverProperties())) {
            checks.add(Check.ok(
                    "postgres.auth", "connected to " + first + "/" + database.database() + " as " + database.user()));
            postgresTls(c, first.host());
            postgresVersion(c);
            tablePrivileges(c);
            connectionBudget(c);
            try (ResultSet rs = c.createStatement().executeQuery("SELECT clock_timestamp()")) {
                rs.next();
                clockSkew("postgres.clock", rs.getTimestamp(1).toInstant());
            }
        } catch (SQLException | RuntimeException e) {
            ConnectionFailure f = ConnectionFailureTranslator.translate(e, database);
            checks.add(
                    Check.fail("postgres.auth", f.problem().name().toLowerCase(java.util.Locale.ROOT), f.getMessage()));
        }
    }

    private void postgresTls(Connection c, String host) throws SQLException {
        boolean ssl;
        String version;
        try (ResultSet rs =
                c.createStatement().executeQuery("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
            rs.next();
            ssl = rs.getBoolean(1);
            version = rs.getString(2);
        }
        boolean loopback = isLoopback(host);
        if (ssl) {
            String verified = database.sslMode() == SslMode.VERIFY_FULL
                    ? "certificate and host name verified"
                    : database.sslMode() == SslMode.VERIFY_CA ? "certificate verified, host name not" : "not verified";
            checks.add(Check.ok("postgres.tls", version + ", " + verified));
        } else if (loopback) {
            checks.add(Check.ok("postgres.tls", "not encrypted (loopback connection)"));
        } else {
            checks.add(Check.warn(
                    "postgres.tls",
                    "the connection to " + host + " is not encrypted (DB_SSL_MODE " + database.sslMode() + ")",
                    "set DB_SSL_MODE=verify-full and DB_SSL_ROOT_CERT to the server's CA bundle"));
        }
    }

    private void postgresVersion(Connection c) throws SQLException {
        int version = c.getMetaData().getDatabaseMajorVersion();
        if (version >= 13) {
            checks.add(Check.ok("postgres.version", c.getMetaData().getDatabaseProductVersion()));
        } else {
            checks.add(Check.fail(
                    "postgres.version",
                    "PostgreSQL " + version + " is older than 13",
                    "upgrade PostgreSQL to 13 or newer"));
        }
    }

    private void tablePrivileges(Connection c) throws SQLException {
        List<String> tables = new ArrayList<>(CISTERN_TABLES);
        boolean initialised = exists(c, "cistern_table");
        if (!initialised) {
            checks.add(Check.fail(
                    "postgres.tables", "Cistern's tables are missing", "run ops/cistern init against this database"));
            return;
        }
        try (ResultSet rs = c.createStatement().executeQuery("SELECT table_name FROM cistern_table ORDER BY 1")) {
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
        }
        List<String> problems = new ArrayList<>();
        for (String t : tables) {
            if (!exists(c, t)) {
                problems.add(t + " does not exist");
                continue;
            }
            try (PreparedStatement ps =
                    c.prepareStatement("SELECT p FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE']) p"
                            + " WHERE NOT has_table_privilege(current_user, ?::regclass, p)")) {
                ps.setString(1, t);
                try (ResultSet rs = ps.executeQuery()) {
                    List<String> missing = new ArrayList<>();
                    while (rs.next()) {
                        missing.add(rs.getString(1));
                    }
                    if (!missing.isEmpty()) {
                        problems.add(t + " lacks " + String.join(", ", missing));
                    }
                }
            }
        }
        if (problems.isEmpty()) {
            checks.add(Check.ok(
                    "postgres.privileges",
                    database.user() + " may read and write all " + tables.size() + " tables (Cistern's and "
                            + (tables.size() - CISTERN_TABLES.size()) + " synced)"));
        } else {
            checks.add(Check.fail(
                    "postgres.privileges",
                    String.join("; ", problems),
                    "GRANT SELECT, INSERT, UPDATE, DELETE ON <table> TO " + database.user()
                            + ", or register only tables that exist (ops/cistern init --table)"));
        }
    }

    private void connectionBudget(Connection c) throws SQLException {
        ConnectionBudget.Server server;
        // backend_type (PostgreSQL 10+) leaves out the server's own background processes; older servers fail
        // postgres.version anyway.
        String clients = c.getMetaData().getDatabaseMajorVersion() >= 10 ? "backend_type = 'client backend'" : "true";
        try (ResultSet rs = c.createStatement()
                .executeQuery("SELECT current_setting('max_connections')::int,"
                        + " current_setting('superuser_reserved_connections')::int,"
                        + " (SELECT count(*) FROM pg_stat_activity WHERE " + clients + ")::int")) {
            rs.next();
            server = new ConnectionBudget.Server(rs.getInt(1), rs.getInt(2), rs.getInt(3));
        }
        checks.add(ConnectionBudget.judge(
                announcedPools,
                DatabasePool.database(database.hosts(), database.database()),
                database.poolSize(),
                plannedDatabaseClients,
                behindPooler,
                server));
    }

    private static boolean exists(Connection c, String table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------ common

    /** DNS then TCP; adds a result for each and returns whether both passed. */
    private boolean dnsAndTcp(String server, String host, int port, Duration timeout) {
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
            checks.add(Check.ok(server + ".dns", host + " resolves to " + address.getHostAddress()));
        } catch (UnknownHostException e) {
            checks.add(Check.fail(
                    server + ".dns",
                    "'" + host + "' does not resolve",
                    host.chars().anyMatch(Character::isWhitespace)
                            ? "the host name contains whitespace: remove it"
                            : "check the host name and this machine's DNS (a private name needs the VPC's resolver)"));
            return false;
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port), (int) timeout.toMillis());
            checks.add(Check.ok(server + ".tcp", address.getHostAddress() + ":" + port + " accepts connections"));
            return true;
        } catch (IOException e) {
            checks.add(Check.fail(
                    server + ".tcp",
                    address.getHostAddress() + ":" + port + " does not accept connections (" + e.getMessage() + ")",
                    "check that the server runs and listens there, and that security groups, firewalls or the"
                            + " tunnel let this machine through"));
            return false;
        }
    }

    private void clockSkew(String name, Instant serverTime) {
        Duration skew = Duration.between(clock.instant(), serverTime).abs();
        String detail = "differs from this machine by " + skew.toMillis() + " ms";
        if (skew.compareTo(CLOCK_SKEW_FAIL) > 0) {
            checks.add(Check.fail(name, detail, "synchronise the clocks (NTP/chrony) of this machine and the server"));
        } else if (skew.compareTo(CLOCK_SKEW_WARN) > 0) {
            checks.add(Check.warn(
                    name, detail + ": lag ages will be off by that much", "synchronise the clocks with NTP/chrony"));
        } else {
            checks.add(Check.ok(name, detail));
        }
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
