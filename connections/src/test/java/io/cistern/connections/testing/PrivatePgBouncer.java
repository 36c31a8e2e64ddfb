package io.cistern.connections.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A PgBouncer of a test's own, in transaction mode ({@code pool_mode = transaction}), on a random port of 127.0.0.1,
 * in front of a PostgreSQL server (the shared one, or a {@link PrivatePostgres}): every database of that server is
 * reachable through it under its own name ({@code * = host=... port=...}), and any user connects without a password
 * ({@code auth_type = trust}; the server's own authentication still applies between PgBouncer and the server).
 *
 * <pre>{@code
 * try (PrivatePgBouncer bouncer = PrivatePgBouncer.start("127.0.0.1", 5432)) {
 *     String url = bouncer.jdbcUrl("mydb");   // jdbc:postgresql://127.0.0.1:<port>/mydb?user=postgres
 * }
 * }</pre>
 *
 * <p>Runs Debian's {@code /usr/sbin/pgbouncer} (else {@code pgbouncer} on the PATH); when it is not installed the test
 * fails with how to install it ({@code ops/test} installs it with the other test prerequisites). PgBouncer refuses to
 * run as root, so when the tests run as root it runs as the {@code postgres} user, as {@link PrivatePostgres} does.
 * {@code ignore_startup_parameters = extra_float_digits}: pgjdbc sends it at every connection, and PgBouncer refuses a
 * connection with a startup parameter it does not know. Not thread-safe: one owner starts and closes it; {@link
 * #shared()} is the one instance of a JVM whose tests run behind a pooler ({@link TestDatabase#behindPooler()}).
 */
public final class PrivatePgBouncer implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Path DEBIAN_BINARY = Path.of("/usr/sbin/pgbouncer");
    private static PrivatePgBouncer shared;

    private final Path dir;
    private final int port;
    private final Process process;

    private PrivatePgBouncer(Path dir, int port, Process process) {
        this.dir = dir;
        this.port = port;
        this.process = process;
    }

    /** Starts a PgBouncer in transaction mode in front of the PostgreSQL server at {@code host:port}. */
    public static PrivatePgBouncer start(String serverHost, int serverPort) {
        String binary = binary();
        try {
            Path dir = Files.createTempDirectory("cistern-pgbouncer");
            int port = freePort();
            Path users = dir.resolve("users.txt");
            Files.writeString(users, "\"postgres\" \"\"\n", StandardCharsets.UTF_8);
            Path ini = dir.resolve("pgbouncer.ini");
            Files.writeString(
                    ini,
                    String.join(
                            "\n",
                            "[databases]",
                            "* = host=" + serverHost + " port=" + serverPort,
                            "",
                            "[pgbouncer]",
                            "listen_addr = 127.0.0.1",
                            "listen_port = " + port,
                            "unix_socket_dir =",
                            "auth_type = trust",
                            "auth_file = " + users,
                            "pool_mode = transaction",
                            "ignore_startup_parameters = extra_float_digits",
                            "max_client_conn = 1000",
                            "default_pool_size = 20",
                            "logfile = " + dir.resolve("pgbouncer.log"),
                            ""),
                    StandardCharsets.UTF_8);
            for (Path p : List.of(dir, users, ini)) {
                chownToServerUser(p);
            }
            List<String> cmd = new ArrayList<>();
            if (runningAsRoot()) {
                cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
            }
            cmd.add(binary);
            cmd.add(ini.toString());
            Process process = new ProcessBuilder(cmd)
                    .directory(new java.io.File("/"))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(
                            dir.resolve("stdout.log").toFile()))
                    .start();
            PrivatePgBouncer bouncer = new PrivatePgBouncer(dir, port, process);
            await("PgBouncer on port " + port + " accepting connections")
                    .atMost(START_TIMEOUT)
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException("pgbouncer exited at start: " + bouncer.log());
                        }
                        return accepts(port);
                    });
            return bouncer;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start pgbouncer: " + e.getMessage(), e);
        }
    }

    /**
     * The JVM's one PgBouncer in front of the shared test server ({@link TestServers#adminDatabaseUrl()}), started at
     * first use and stopped when the JVM exits.
     */
    public static synchronized PrivatePgBouncer shared() {
        if (shared == null) {
            io.cistern.connections.DatabaseSettings.Host server = io.cistern.connections.DatabaseSettings.ofJdbcUrl(
                            TestServers.adminDatabaseUrl())
                    .hosts()
                    .getFirst();
            PrivatePgBouncer started = start(server.host(), server.port());
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "pgbouncer-stop"));
            shared = started;
        }
        return shared;
    }

    /** The port PgBouncer listens on (127.0.0.1). */
    public int port() {
        return port;
    }

    /** The JDBC URL of {@code database} through PgBouncer, as user {@code postgres}. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=postgres";
    }

    /** PgBouncer's log so far, for assertion messages. */
    public String log() {
        try {
            return Files.readString(dir.resolve("pgbouncer.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Stops PgBouncer (its client and server connections close) and deletes its directory. */
    @Override
    public void close() {
        process.destroy(); // SIGTERM: PgBouncer exits at once, closing every connection
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        PrivatePostgres.deleteRecursively(dir);
    }

    private static String binary() {
        if (Files.isExecutable(DEBIAN_BINARY)) {
            return DEBIAN_BINARY.toString();
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String entry : path.split(java.io.File.pathSeparator)) {
                Path candidate = Path.of(entry, "pgbouncer");
                if (Files.isExecutable(candidate)) {
                    return candidate.toString();
                }
            }
        }
        throw new IllegalStateException("PgBouncer is not installed (no /usr/sbin/pgbouncer, no pgbouncer on the PATH),"
                + " and these tests run through it: install it (`apt-get install -y pgbouncer` on Debian and Ubuntu,"
                + " `brew install pgbouncer` on macOS), or run ops/test, which installs the test prerequisites");
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static void chownToServerUser(Path path) throws IOException {
        if (runningAsRoot()) {
            UserPrincipal postgres =
                    path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
            Files.setOwner(path, postgres);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
