package io.cistern.connections.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of a test's own: a fresh cluster (a copy of one {@code initdb} made for the JVM) in a temporary
 * directory, on a random port of 127.0.0.1, for tests that must stop, restart or configure a server differently (pg_hba.conf, passwords, TLS,
 * {@code max_connections}). Never the shared server.
 *
 * <pre>{@code
 * PrivatePostgres pg = PrivatePostgres.builder()
 *         .hbaLine("host all app 127.0.0.1/32 scram-sha-256")
 *         .maxConnections(10)
 *         .start();
 * pg.execute("CREATE ROLE app LOGIN PASSWORD 'secret'");
 * String url = pg.jdbcUrl();          // jdbc:postgresql://127.0.0.1:<port>/postgres
 * pg.stop(); pg.startAgain();         // same port, same data
 * pg.close();                         // stops the server and deletes its directory
 * }</pre>
 *
 * <p>PostgreSQL refuses to run as root, so when the tests run as root the server runs as the {@code postgres} user
 * (through {@code runuser}) and its directory belongs to that user. The binaries are taken from {@link
 * Builder#binaries(Path)} when given, else {@code CISTERN_PG_BIN} when set, else the newest {@code
 * /usr/lib/postgresql/<version>/bin}, else the {@code PATH}; a binary directory without the client tools ({@code psql},
 * {@code pg_isready}: a server-only build such as {@link PostgresBinaries}) borrows them from that default, since they
 * speak to any server version. The superuser {@code postgres} can always connect over the Unix socket in the server's
 * directory without a password, whatever the pg_hba lines say, which {@link #execute} uses. Not thread-safe: one test
 * class owns an instance.
 */
public final class PrivatePostgres implements AutoCloseable {
    /**
     * The working directory of every command run as the server user: a checkout in a private directory (mktemp -d)
     * is out of that user's reach, and its tools then print "could not change directory" into their output.
     */
    private static final java.io.File SERVER_USER_CWD = new java.io.File("/");

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    /** The tools that talk to a server over the protocol, and so work with a server of any version. */
    private static final Set<String> CLIENT_TOOLS = Set.of("psql", "pg_isready");

    /**
     * Clusters fresh from {@code initdb}, one per {@code initdb} binary and superuser password, copied into each new
     * server's directory instead of running {@code initdb} again: it takes one to five seconds on a busy two-core
     * machine (bootstrap, template databases), a copy a tenth of that. A copy is an independent cluster (only the
     * system identifier is shared, which no test compares). Kept for the JVM (one failsafe fork), deleted at its exit.
     */
    private static final Map<String, Path> TEMPLATES = new HashMap<>();

    static {
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            synchronized (TEMPLATES) {
                                TEMPLATES.values().forEach(t -> deleteRecursively(t.getParent()));
                            }
                        },
                        "private-postgres-templates"));
    }

    private final Path dir;
    private final Path data;
    private final int port;
    private final List<String> settings;
    private final Path binaries;
    private Process process;

    private PrivatePostgres(Path dir, int port, List<String> settings, Path binaries) {
        this.dir = dir;
        this.data = dir.resolve("data");
        this.port = port;
        this.settings = List.copyOf(settings);
        this.binaries = binaries;
    }

    /** Starts configuring a server; {@link Builder#start()} creates and starts it. */
    public static Builder builder() {
        return new Builder();
    }

    /** A server with default settings: any local user connects over TCP without a password ({@code trust}). */
    public static PrivatePostgres start() {
        return builder().start();
    }

    /** How the server is set up. */
    public static final class Builder {
        private final List<String> hbaLines = new ArrayList<>();
        private final Map<String, String> settings = new LinkedHashMap<>();
        private String superuserPassword;
        private Path certificate;
        private Path key;
        private Path binaries;

        private Builder() {}

        /**
         * Runs the server from the binaries in {@code binDirectory} ({@code initdb}, {@code postgres}, {@code pg_ctl}),
         * for example another PostgreSQL version from {@link PostgresBinaries}, instead of the default lookup. The
         * directory must be readable and executable by the server user.
         */
        public Builder binaries(Path binDirectory) {
            if (!Files.isExecutable(binDirectory.resolve("postgres"))) {
                throw new IllegalArgumentException(
                        "no PostgreSQL server binary in " + binDirectory + ": give the bin directory of a build");
            }
            this.binaries = binDirectory;
            return this;
        }

        /**
         * Adds a pg_hba.conf line after the built-in {@code local all postgres trust}; with no lines given, {@code host
         * all all 127.0.0.1/32 trust} is used. Lines match in order, as in pg_hba.conf.
         */
        public Builder hbaLine(String line) {
            hbaLines.add(line);
            return this;
        }

        /** The password of the superuser {@code postgres}, for TCP connections that pg_hba lines make ask for one. */
        public Builder superuserPassword(String password) {
            this.superuserPassword = password;
            return this;
        }

        /** {@code max_connections} (the server keeps 3 of them for superusers). */
        public Builder maxConnections(int maxConnections) {
            return setting("max_connections", Integer.toString(maxConnections));
        }

        /** Turns TLS on with this certificate and private key (PEM), for example from {@link TestCertificates}. */
        public Builder tls(Path certificateFile, Path keyFile) {
            this.certificate = certificateFile;
            this.key = keyFile;
            return this;
        }

        /** Any server setting, passed as {@code -c name=value}. */
        public Builder setting(String name, String value) {
            settings.put(name, value);
            return this;
        }

        /** Creates the cluster and starts the server; waits until it accepts connections. */
        public PrivatePostgres start() {
            try {
                List<String> args = new ArrayList<>();
                if (certificate != null) {
                    args.addAll(
                            List.of("-c", "ssl=on", "-c", "ssl_cert_file=server.crt", "-c", "ssl_key_file=server.key"));
                }
                settings.forEach((name, value) -> args.addAll(List.of("-c", name + "=" + value)));
                PrivatePostgres pg =
                        new PrivatePostgres(Files.createTempDirectory("cistern-pg"), freePort(), args, binaries);
                pg.initialize(superuserPassword);
                List<String> hba = new ArrayList<>(List.of("local all postgres trust"));
                hba.addAll(hbaLines.isEmpty() ? List.of("host all all 127.0.0.1/32 trust") : hbaLines);
                pg.writeOwned(pg.data.resolve("pg_hba.conf"), String.join("\n", hba) + "\n");
                if (certificate != null) {
                    pg.writeOwned(pg.data.resolve("server.crt"), Files.readString(certificate));
                    pg.writeOwned(pg.data.resolve("server.key"), Files.readString(key));
                }
                pg.launch();
                return pg;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a private PostgreSQL: " + e.getMessage(), e);
            }
        }
    }

    /** The TCP port, on 127.0.0.1. */
    public int port() {
        return port;
    }

    /** The JDBC URL of the {@code postgres} database, without user or password. */
    public String jdbcUrl() {
        return jdbcUrl("postgres");
    }

    /** The JDBC URL of {@code database}, without user or password. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** Runs SQL as the superuser over the Unix socket (not subject to the pg_hba lines given); returns psql's output. */
    public String execute(String... sql) {
        List<String> cmd = new ArrayList<>(List.of(
                bin("psql"),
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                dir.toString(),
                "-p",
                Integer.toString(port),
                "-U",
                "postgres",
                "-d",
                "postgres"));
        for (String statement : sql) {
            cmd.add("-c");
            cmd.add(statement);
        }
        return run(cmd, "psql");
    }

    /** Stops the server at once, as a crash would ({@code pg_ctl stop -m immediate}); {@link #startAgain()} brings it back. */
    public void stop() {
        if (process != null && process.isAlive()) {
            run(List.of(bin("pg_ctl"), "stop", "-D", data.toString(), "-m", "immediate", "-w"), "pg_ctl stop");
            waitFor(process);
        }
    }

    /** Starts a stopped server again on the same port, with the same data; waits until it accepts connections. */
    public void startAgain() {
        launch();
    }

    private void launch() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("PostgreSQL on port " + port + " is still running; stop() it first");
        }
        List<String> cmd = new ArrayList<>(List.of(
                bin("postgres"),
                "-D",
                data.toString(),
                "-p",
                Integer.toString(port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-k",
                dir.toString(),
                "-c",
                "fsync=off",
                "-c",
                "log_connections=off"));
        cmd.addAll(settings);
        try {
            process = new ProcessBuilder(asServerUser(cmd))
                    .directory(SERVER_USER_CWD)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(
                            dir.resolve("postgres.log").toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run postgres (is PostgreSQL installed?): " + e.getMessage(), e);
        }
        await("PostgreSQL on port " + port + " accepting connections")
                .atMost(START_TIMEOUT)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("postgres exited at start: " + log());
                    }
                    return isReady();
                });
    }

    /** Stops and starts the server. */
    public void restart() {
        stop();
        launch();
    }

    /** Whether the server accepts connections. */
    public boolean isReady() {
        try {
            Process p = new ProcessBuilder(asServerUser(
                            List.of(bin("pg_isready"), "-q", "-h", dir.toString(), "-p", Integer.toString(port))))
                    .directory(SERVER_USER_CWD)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The server's log so far, for assertion messages. */
    public String log() {
        try {
            return Files.readString(dir.resolve("postgres.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Stops the server and deletes its directory. */
    @Override
    public void close() {
        try {
            stop();
        } finally {
            if (process != null) {
                process.destroyForcibly();
                waitFor(process);
            }
            deleteRecursively(dir);
        }
    }

    private void initialize(String superuserPassword) throws IOException {
        chownToServerUser(dir);
        String initdb = bin("initdb");
        Path template;
        synchronized (TEMPLATES) {
            String key = initdb + "\n" + (superuserPassword == null ? "" : superuserPassword);
            template = TEMPLATES.get(key);
            if (template == null) {
                Path templateDir = Files.createTempDirectory("cistern-pg-template");
                chownToServerUser(templateDir);
                template = templateDir.resolve("data");
                initdb(initdb, template, superuserPassword);
                TEMPLATES.put(key, template);
            }
        }
        run(List.of("cp", "-a", template.toString(), data.toString()), "copying the initdb template");
    }

    private void initdb(String initdb, Path target, String superuserPassword) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                initdb,
                "-D",
                target.toString(),
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
                "--auth-local=trust",
                "--auth-host=scram-sha-256"));
        Path pwfile = target.resolveSibling("pwfile");
        if (superuserPassword != null) {
            writeOwned(pwfile, superuserPassword + "\n");
            cmd.add("--pwfile=" + pwfile);
        }
        try {
            run(cmd, "initdb");
        } finally {
            Files.deleteIfExists(pwfile);
        }
    }

    private static void writeOwned(Path file, String content) throws IOException {
        Files.writeString(file, content, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        chownToServerUser(file);
    }

    private String run(List<String> cmd, String what) {
        try {
            Process p = new ProcessBuilder(asServerUser(cmd))
                    .directory(SERVER_USER_CWD)
                    .redirectErrorStream(true)
                    .start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(what + " failed: " + output);
            }
            return output;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + what + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + what, e);
        }
    }

    private static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static List<String> asServerUser(List<String> cmd) {
        if (!runningAsRoot()) {
            return cmd;
        }
        List<String> wrapped = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        wrapped.addAll(cmd);
        return wrapped;
    }

    private static void chownToServerUser(Path path) throws IOException {
        if (runningAsRoot()) {
            UserPrincipal postgres =
                    path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
            Files.setOwner(path, postgres);
        }
    }

    /**
     * A tool of the server's build. Only the client tools may come from the default lookup when a server-only build lacks
     * them: a server tool of another version would make a cluster the server cannot read.
     */
    private String bin(String name) {
        if (binaries == null) {
            return defaultBin(name);
        }
        Path own = binaries.resolve(name);
        if (Files.isExecutable(own) || !CLIENT_TOOLS.contains(name)) {
            return own.toString();
        }
        return defaultBin(name);
    }

    private static String defaultBin(String name) {
        String configured = System.getenv("CISTERN_PG_BIN");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured.strip(), name).toString();
        }
        Path versions = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(versions)) {
            try (Stream<Path> dirs = Files.list(versions)) {
                return dirs.map(d -> d.resolve("bin").resolve(name))
                        .filter(Files::isExecutable)
                        .max(Comparator.comparing(p -> versionOf(p.getParent().getParent())))
                        .map(Path::toString)
                        .orElse(name);
            } catch (IOException e) {
                return name;
            }
        }
        return name;
    }

    private static int versionOf(Path versionDir) {
        try {
            return Integer.parseInt(versionDir.getFileName().toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static void waitFor(Process p) {
        try {
            p.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Deletes a directory tree, best effort (also for {@link PostgresBinaries}). */
    static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // Best effort: a leftover temporary directory is not worth failing a test for.
                }
            });
        } catch (IOException e) {
            // As above.
        }
    }
}
