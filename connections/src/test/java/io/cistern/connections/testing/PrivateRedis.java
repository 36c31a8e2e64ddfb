package io.cistern.connections.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A redis-server of a test's own, on a random port, for tests that must kill, restart or configure a server
 * differently (AOF, memory limits, passwords). Never the shared server.
 */
public final class PrivateRedis implements AutoCloseable {
    private final Path dir;
    private final int port;
    private final List<String> extraArgs;
    private Process process;
    private boolean tls;

    private PrivateRedis(Path dir, int port, List<String> extraArgs) {
        this.dir = dir;
        this.port = port;
        this.extraArgs = List.copyOf(extraArgs);
    }

    /**
     * Starts a server that speaks only TLS on its port, with {@code certificates}' server certificate; clients need not
     * present a certificate. {@link #url()} is then a {@code rediss://} URL.
     */
    public static PrivateRedis startWithTls(TestCertificates certificates, String... extraArgs) {
        List<String> args = new ArrayList<>(List.of(
                "--tls-cert-file", certificates.serverCertificate().toString(),
                "--tls-key-file", certificates.serverKey().toString(),
                "--tls-ca-cert-file", certificates.caCertificate().toString(),
                "--tls-auth-clients", "no"));
        args.addAll(List.of(extraArgs));
        try {
            PrivateRedis r = new PrivateRedis(Files.createTempDirectory("cistern-redis"), freePort(), args);
            r.tls = true;
            r.startProcess();
            return r;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start a private redis-server: " + e.getMessage(), e);
        }
    }

    /** Starts a server with the given extra arguments, for example {@code "--appendonly", "yes"}. */
    public static PrivateRedis start(String... extraArgs) {
        try {
            PrivateRedis r =
                    new PrivateRedis(Files.createTempDirectory("cistern-redis"), freePort(), List.of(extraArgs));
            r.startProcess();
            return r;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start a private redis-server: " + e.getMessage(), e);
        }
    }

    public int port() {
        return port;
    }

    public String url() {
        return (tls ? "rediss" : "redis") + "://127.0.0.1:" + port;
    }

    /** Whether the server process is running (not {@link #stop() stopped} and not exited). */
    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Stops the server at once (SIGKILL) and starts it again on the same port and directory. */
    public void restart() {
        process.destroyForcibly();
        waitFor(process);
        startProcess();
    }

    /**
     * Stops the server at once (SIGKILL), as a crash or a lost host would; clients see their connections drop. Start it
     * again with {@link #startAgain()}.
     */
    public void stop() {
        if (process != null) {
            process.destroyForcibly();
            waitFor(process);
        }
    }

    /**
     * SIGSTOP: the server stops dead, its connections stay open (a replica frozen this way falls behind its master).
     * {@link #thaw()} resumes it.
     */
    public void freeze() {
        signal("STOP");
    }

    /** SIGCONT after {@link #freeze()}. */
    public void thaw() {
        signal("CONT");
    }

    private void signal(String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                    .redirectErrorStream(true)
                    .start();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot signal redis-server: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while signalling redis-server", e);
        }
    }

    /**
     * Stops the server at once (SIGKILL), deletes everything it persisted (AOF and RDB files), and starts it again:
     * Redis comes back empty, as after a failover to a stale replica or a restart without persistence.
     */
    public void loseAllData() {
        stop();
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                String name = p.getFileName().toString();
                if (!p.equals(dir)
                        && (name.endsWith(".rdb")
                                || name.startsWith("appendonly")
                                || name.endsWith(".aof")
                                || name.endsWith(".manifest"))) {
                    Files.delete(p);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot delete the data of redis-server on port " + port, e);
        }
        startProcess();
    }

    /**
     * Stops the server at once (SIGKILL), starts it on a port no client knows, hands {@code edit} that server's URL to
     * change its data (the clients of the real port see nothing of it), stops it again and starts it on its port: as a
     * server that comes back with other data than it had, a replica promoted behind its primary, say. Only for a server
     * that persists every write ({@code --appendonly yes --appendfsync always}), or the edit is lost.
     */
    public void restartEditedOffline(java.util.function.Consumer<String> edit) {
        process.destroyForcibly();
        waitFor(process);
        int hidden;
        try {
            hidden = freePort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port for the hidden restart: " + e.getMessage(), e);
        }
        startProcess(hidden);
        try {
            awaitLoaded(hidden);
            edit.accept((tls ? "rediss" : "redis") + "://127.0.0.1:" + hidden);
        } finally {
            process.destroyForcibly();
            waitFor(process);
            startProcess(port);
        }
    }

    /** Waits until the server on {@code listenPort} answers PING (it listens while still loading its AOF). */
    private void awaitLoaded(int listenPort) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        while (Instant.now().isBefore(deadline)) {
            try (Socket s = new Socket("127.0.0.1", listenPort)) {
                s.getOutputStream().write("PING\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                byte[] reply = new byte[5];
                int n = s.getInputStream().readNBytes(reply, 0, 5);
                if (n == 5 && new String(reply, java.nio.charset.StandardCharsets.US_ASCII).equals("+PONG")) {
                    return;
                }
            } catch (IOException notYet) {
                // Try again.
            }
            java.util.concurrent.locks.LockSupport.parkNanos(
                    Duration.ofMillis(20).toNanos());
        }
        throw new IllegalStateException("redis-server on port " + listenPort + " did not finish loading within 20 s");
    }

    /** Starts a stopped server again on the same port and directory (what it persisted is loaded back). */
    public void startAgain() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("redis-server on port " + port + " is still running; stop() it first");
        }
        startProcess();
    }

    private void startProcess() {
        startProcess(port);
    }

    private void startProcess(int listenPort) {
        List<String> cmd = new ArrayList<>(List.of(
                "redis-server",
                "--port",
                tls ? "0" : Integer.toString(listenPort),
                "--bind",
                "127.0.0.1",
                "--dir",
                dir.toString(),
                "--save",
                "",
                "--appendonly",
                "no",
                "--logfile",
                dir.resolve("redis.log").toString()));
        if (tls) {
            cmd.addAll(List.of("--tls-port", Integer.toString(listenPort)));
        }
        cmd.addAll(extraArgs);
        try {
            process = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("stdout.log").toFile())
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run redis-server (is it installed?): " + e.getMessage(), e);
        }
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        while (Instant.now().isBefore(deadline)) {
            try (Socket s = new Socket("127.0.0.1", listenPort)) {
                return;
            } catch (IOException notYet) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("redis-server exited at start; see " + dir.resolve("redis.log"));
                }
                Thread.onSpinWait();
            }
        }
        throw new IllegalStateException("redis-server did not listen on port " + listenPort + " within 20 s");
    }

    private static void waitFor(Process p) {
        try {
            p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        if (process != null) {
            process.destroyForcibly();
            waitFor(process);
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // Best effort: a leftover temporary directory is not worth failing a test for.
        }
    }
}
