package io.cistern.ops;

import io.cistern.ops.bench.PinLayout;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code bench --pin}: starts a private Redis and a private PostgreSQL ({@link LocalServers#startPrivate}) each under
 * {@code taskset -c} as {@link PinLayout} lays the cores out, then runs the benchmark in a new JVM started under {@code
 * taskset -c} on the pipeline's CPUs with this JVM's flags, class path and the same bench arguments, and copies its
 * output. Re-executing (rather than pinning this JVM's threads after the fact) lets the measured JVM size itself for the
 * cores it has, as it would on a host of that size: a JVM that sees one processor picks the serial collector, and the
 * JSON records what it picked. This JVM only waits meanwhile. Stops the servers and deletes their directory at the end.
 */
final class PinnedBench {
    private PinnedBench() {}

    static int run(List<String> benchArgs, ConnectionOptions connection, PrintWriter out, PrintWriter err) {
        if (connection.redisUrl != null || connection.databaseUrl != null) {
            err.println("bench --pin starts its own Redis and PostgreSQL: drop --redis-url and --database-url");
            err.flush();
            return 2;
        }
        PinLayout layout = PinLayout.of(Runtime.getRuntime().availableProcessors());
        Path dir;
        try {
            dir = Files.createTempDirectory("cistern-bench-pin-");
            // PostgreSQL runs as the postgres user, which must traverse this directory to its own data directory.
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int redisPort = freePort();
        int postgresPort = freePort();
        long[] postmaster = {-1};
        try (LocalServers servers = new LocalServers(dir, err, redisPort, postgresPort)) {
            LocalServers.Private p = servers.startPrivate(layout.pipelineCpus(), layout.postgresCpus());
            postmaster[0] = p.postmasterPid();
            List<String> command = new ArrayList<>(List.of("taskset", "-c", layout.pipelineCpus()));
            command.add(ProcessHandle.current().info().command().orElse("java"));
            command.addAll(jvmFlags());
            command.addAll(launch());
            command.add("bench");
            command.addAll(benchArgs);
            command.add("--pinned-by-parent=" + layout.cores() + "," + p.redisPid() + "," + p.postmasterPid());
            ProcessBuilder builder = new ProcessBuilder(command);
            Map<String, String> env = builder.environment();
            env.put("REDIS_URL", "redis://127.0.0.1:" + redisPort);
            env.put("DATABASE_URL", "postgres://postgres@127.0.0.1:" + postgresPort + "/postgres");
            Process child = builder.start();
            Thread copyErr = Thread.ofPlatform().start(() -> copy(child.getErrorStream(), err));
            copy(child.getInputStream(), out);
            int code = child.waitFor();
            copyErr.join();
            return code;
        } catch (IOException e) {
            throw new UncheckedIOException("bench --pin: cannot start the pinned JVM: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("bench --pin interrupted", e);
        } finally {
            awaitExit(postmaster[0]);
            deleteTree(dir);
        }
    }

    /**
     * Waits up to 30 s for the postmaster to finish its shutdown: closing the servers stops runuser, which passes the
     * signal on and may return before the postmaster has exited, and its directory is deleted next.
     */
    private static void awaitExit(long pid) {
        ProcessHandle.of(pid).ifPresent(h -> {
            try {
                h.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // Still running after 30 s: deleting its directory below is best effort.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /**
     * How this JVM was launched: {@code -jar} of the launcher jar ({@code ops/cistern}: a Spring Boot jar whose
     * classes a plain class path cannot load), else the class path and the main class (tests, an IDE).
     */
    private static List<String> launch() {
        String classPath = System.getProperty("java.class.path");
        boolean launcherJar = classPath.endsWith(".jar")
                && !classPath.contains(java.io.File.pathSeparator)
                && CisternCli.class
                        .getProtectionDomain()
                        .getCodeSource()
                        .getLocation()
                        .toString()
                        .contains("!");
        return launcherJar ? List.of("-jar", classPath) : List.of("-cp", classPath, CisternCli.class.getName());
    }

    /** The java binary of this JVM and {@link #launch()}: a command that runs a {@code cistern} subcommand. */
    static List<String> javaCommand() {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(launch());
        return command;
    }

    /** This JVM's flags, minus agents and debuggers (a coverage agent or a debugger port is this JVM's own). */
    private static List<String> jvmFlags() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> !a.startsWith("-javaagent") && !a.startsWith("-agentlib") && !a.startsWith("-agentpath"))
                .toList();
    }

    private static void copy(InputStream in, PrintWriter to) {
        try (java.io.Reader reader = new java.io.InputStreamReader(in, StandardCharsets.UTF_8)) {
            char[] buffer = new char[8192];
            for (int n; (n = reader.read(buffer)) > 0; ) {
                to.write(buffer, 0, n);
                to.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // Best effort: a leftover temporary directory is harmless.
        }
    }
}
