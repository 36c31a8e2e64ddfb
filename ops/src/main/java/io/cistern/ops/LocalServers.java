package io.cistern.ops;

import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.EnvironmentReader;
import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The servers {@code up} runs against: the ones configured, else the local ones on their standard ports, else servers
 * it starts itself under its data directory (Redis with AOF and noeviction; PostgreSQL with initdb). Stops what it
 * started when closed. Not thread-safe.
 */
final class LocalServers implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Path dataDir;
    private final PrintWriter err;
    private final int redisPort;
    private final int postgresPort;
    private final List<Process> started = new ArrayList<>();
    private final List<String> origins = new ArrayList<>();

    LocalServers(Path dataDir, PrintWriter err, int redisPort, int postgresPort) {
        this.dataDir = dataDir;
        this.err = err;
        this.redisPort = redisPort;
        this.postgresPort = postgresPort;
    }

    /** The configured Redis, else the local one on the Redis port, started with AOF if none listens there. */
    RedisSettings redis(Map<String, String> env) {
        // Blank counts as unset, as everywhere else.
        if (new EnvironmentReader(env).isSet("REDIS_URL")) {
            RedisSettings settings = RedisSettings.fromEnvironment(env);
            origins.add("Redis:      " + settings.redactedUrl() + ", as configured (REDIS_URL)");
            checkDurability(settings);
            return settings;
        }
        Map<String, String> local = new HashMap<>(env);
        local.put("REDIS_URL", "redis://127.0.0.1:" + redisPort);
        RedisSettings settings = RedisSettings.fromEnvironment(local);
        if (listening("127.0.0.1", redisPort)) {
            origins.add("Redis:      reusing the server already running on 127.0.0.1:" + redisPort);
            checkDurability(settings);
            return settings;
        }
        startRedis();
        origins.add("Redis:      started redis-server on 127.0.0.1:" + redisPort
                + " with AOF (appendfsync everysec) and noeviction, data in " + dataDir.resolve("redis"));
        return settings;
    }

    /** The configured PostgreSQL, else the local one on the PostgreSQL port, started if none listens there. */
    DatabaseSettings postgres(Map<String, String> env) {
        EnvironmentReader reader = new EnvironmentReader(env);
        boolean configured = Stream.of("DATABASE_URL", "DB_HOST", "PGHOST").anyMatch(reader::isSet);
        if (configured) {
            DatabaseSettings settings = DatabaseSettings.fromEnvironment(env);
            origins.add("PostgreSQL: " + settings.hosts().get(0) + "/" + settings.database() + ", as configured");
            return settings;
        }
        if (listening("127.0.0.1", postgresPort)) {
            origins.add("PostgreSQL: reusing the server already running on 127.0.0.1:" + postgresPort);
        } else {
            startPostgres();
            origins.add(
                    "PostgreSQL: started on 127.0.0.1:" + postgresPort + ", data in " + dataDir.resolve("postgres"));
        }
        Map<String, String> local = new HashMap<>(env);
        local.put("DB_HOST", "127.0.0.1");
        local.put("DB_PORT", Integer.toString(postgresPort));
        return DatabaseSettings.fromEnvironment(local);
    }

    /**
     * What {@link #redis} and {@link #postgres} chose, one line each ("reusing ...", "started ...", "as configured"),
     * then a note when a reused Redis may lose buffered writes: for the person who ran {@code up}.
     */
    List<String> report() {
        return List.copyOf(origins);
    }

    /**
     * The servers of {@code bench --pin} (on this instance's ports), started here whatever else listens or is configured, each under its own
     * {@code taskset -c} CPU list: Redis without persistence (no AOF, no snapshots, as {@code ops/bench-redis} starts
     * it, the same on both sides of every comparison) and a fresh PostgreSQL cluster (initdb defaults). {@code
     * redisPid} is the redis-server process (taskset execs it), {@code postmasterPid} the first line of the cluster's
     * {@code postmaster.pid} (runuser forks the postmaster, so the started process is not it).
     */
    record Private(long redisPid, long postmasterPid) {}

    Private startPrivate(String redisCpus, String postgresCpus) {
        Path redisDir = dataDir.resolve("redis");
        createDirectories(redisDir);
        err.println("starting a private redis-server on 127.0.0.1:" + redisPort + ", CPUs " + redisCpus
                + ", no persistence (data in " + redisDir + ")");
        err.flush();
        List<String> redisCommand = new ArrayList<>(List.of("taskset", "-c", redisCpus));
        redisCommand.addAll(redisArgs(redisDir, List.of("--appendonly", "no", "--save", "")));
        Process redisProcess = start(redisCommand, redisPort, "redis-server (apt-get install redis-server)");
        startPostgres(List.of("taskset", "-c", postgresCpus));
        long postmaster;
        try {
            postmaster = Long.parseLong(
                    Files.readAllLines(dataDir.resolve("postgres").resolve("postmaster.pid"))
                            .getFirst()
                            .strip());
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read the private PostgreSQL's postmaster.pid: " + e, e);
        }
        return new Private(redisProcess.pid(), postmaster);
    }

    private void startRedis() {
        Path dir = dataDir.resolve("redis");
        createDirectories(dir);
        err.println("starting redis-server on 127.0.0.1:" + redisPort + " with AOF (data in " + dir + ")");
        err.flush();
        start(
                redisArgs(
                        dir,
                        List.of(
                                "--appendonly",
                                "yes",
                                "--appendfsync",
                                "everysec",
                                "--maxmemory-policy",
                                "noeviction")),
                redisPort,
                "redis-server (apt-get install redis-server)");
    }

    private List<String> redisArgs(Path dir, List<String> persistence) {
        List<String> args = new ArrayList<>(List.of(
                "redis-server", "--bind", "127.0.0.1", "--port", Integer.toString(redisPort), "--dir", dir.toString()));
        args.addAll(persistence);
        args.addAll(List.of("--logfile", dir.resolve("redis.log").toString()));
        return args;
    }

    private void startPostgres() {
        startPostgres(List.of());
    }

    /** Initialises the cluster if needed and starts it, its command after {@code prefix} ({@code taskset} or none). */
    private void startPostgres(List<String> prefix) {
        Path dir = dataDir.resolve("postgres");
        Path bin = postgresBin();
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!Files.exists(dir.resolve("PG_VERSION"))) {
            createDirectories(dir);
            err.println("initialising a PostgreSQL cluster in " + dir);
            err.flush();
            if (root) {
                run(List.of("chown", "-R", "postgres:postgres", dir.toString()));
                requireReachableByPostgres(dir);
            }
            run(asPostgres(
                    root,
                    List.of(
                            bin.resolve("initdb").toString(),
                            "-D",
                            dir.toString(),
                            "-U",
                            "postgres",
                            "--auth=trust",
                            "-E",
                            "UTF8")));
        }
        err.println("starting PostgreSQL on 127.0.0.1:" + postgresPort + " (data in " + dir + ")");
        err.flush();
        List<String> command = new ArrayList<>(prefix);
        command.addAll(asPostgres(
                root,
                List.of(
                        bin.resolve("postgres").toString(),
                        "-D",
                        dir.toString(),
                        "-p",
                        Integer.toString(postgresPort),
                        "-c",
                        "listen_addresses=127.0.0.1",
                        "-c",
                        "unix_socket_directories=" + dir)));
        start(command, postgresPort, "PostgreSQL (apt-get install postgresql)");
    }

    /** PostgreSQL runs as the postgres user, which must be able to reach its data directory through every parent. */
    private static void requireReachableByPostgres(Path dir) {
        try {
            Process p = new ProcessBuilder("runuser", "-u", "postgres", "--", "test", "-w", dir.toString())
                    .redirectErrorStream(true)
                    .start();
            p.getInputStream().readAllBytes();
            if (p.waitFor() != 0) {
                throw new IllegalStateException("the postgres user cannot reach " + dir
                        + " (a parent directory is private to root); choose a --data-dir under a directory others"
                        + " may traverse, for example /var/lib/cistern");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run runuser to start PostgreSQL as postgres: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking " + dir, e);
        }
    }

    private static List<String> asPostgres(boolean root, List<String> command) {
        if (!root) {
            return command;
        }
        List<String> c = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        c.addAll(command);
        return c;
    }

    private static Path postgresBin() {
        for (String candidate : List.of("/usr/local/bin", "/usr/lib/postgresql")) {
            Path p = Path.of(candidate);
            if (Files.isExecutable(p.resolve("initdb"))) {
                return p;
            }
            if (Files.isDirectory(p)) {
                try (Stream<Path> versions = Files.list(p)) {
                    var found = versions.map(v -> v.resolve("bin"))
                            .filter(b -> Files.isExecutable(b.resolve("initdb")))
                            .sorted()
                            .reduce((a, b) -> b);
                    if (found.isPresent()) {
                        return found.get();
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        throw new IllegalStateException("no PostgreSQL server binaries found (initdb): install them with"
                + " `apt-get install postgresql`, or point DATABASE_URL at a running server");
    }

    private Process start(List<String> command, int port, String what) {
        Process p;
        try {
            p = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(
                            dataDir.resolve(port + ".out").toFile()))
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + what + ": " + e.getMessage(), e);
        }
        started.add(p);
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        while (!listening("127.0.0.1", port)) {
            if (!p.isAlive()) {
                throw new IllegalStateException(what + " exited at start; see " + dataDir.resolve(port + ".out"));
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException(what + " did not listen on port " + port + " within " + START_TIMEOUT);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
        return p;
    }

    /** The durability notes of a reused Redis: on a Redis Cluster, of every master, each named. */
    private void checkDurability(RedisSettings settings) {
        try (RedisDeployment redis = RedisDeployment.open(settings)) {
            for (RedisDeployment.Master master : redis.masters()) {
                Map<String, String> config = master.sync().configGet("appendonly", "save", "maxmemory-policy");
                durabilityNote(
                                redis.isCluster() ? "master " + master.address() : settings.redactedUrl(),
                                config.get("appendonly"),
                                config.get("save"),
                                config.get("maxmemory-policy"))
                        .ifPresent(origins::add);
            }
        } catch (RuntimeException e) {
            origins.add("note: could not check the persistence of Redis at " + settings.redactedUrl() + " ("
                    + e.getMessage() + "); ops/cistern doctor --profile dev checks it");
        }
    }

    /**
     * One line, when a reused Redis may lose buffered writes (no AOF and no snapshots, or an {@code allkeys-*}
     * eviction policy): what that means, the fix, and the doctor profile that judges such a setup as a trial. Empty
     * when the Redis keeps what it buffers. Pure.
     */
    static Optional<String> durabilityNote(String url, String appendonly, String save, String policy) {
        List<String> problems = new ArrayList<>();
        List<String> fixes = new ArrayList<>();
        if ("no".equals(appendonly) && (save == null || save.isBlank())) {
            problems.add("keeps nothing on disk (appendonly no, save \"\")");
            fixes.add("CONFIG SET appendonly yes");
        }
        if (EvictionPolicy.of(policy) == EvictionPolicy.ENDANGERS_UNSYNCED_DATA) {
            problems.add("may evict unsynced writes (maxmemory-policy " + policy + ")");
            fixes.add("CONFIG SET maxmemory-policy noeviction");
        }
        if (problems.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("note: Redis at " + url + " " + String.join(" and ", problems)
                + ": fine for a trial, but writes buffered there would not survive its restart; fix with redis-cli "
                + String.join(", ", fixes) + " (and in redis.conf), or judge this setup as a trial with"
                + " ops/cistern doctor --profile dev");
    }

    private static void run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command.get(0), e);
        }
    }

    private static boolean listening(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 300);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops the servers this instance started (SIGTERM, so Redis flushes its AOF and PostgreSQL shuts down cleanly). */
    @Override
    public void close() {
        for (Process p : started.reversed()) {
            p.destroy();
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
