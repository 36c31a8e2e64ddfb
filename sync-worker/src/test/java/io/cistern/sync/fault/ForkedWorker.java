package io.cistern.sync.fault;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@link WorkerProcess} in a JVM of its own, which a fault test can SIGKILL, SIGSTOP/SIGCONT and SIGTERM, and launch
 * again with the same configuration. Everything it prints goes to one file (appended across launches) for failure
 * messages. Not thread-safe: one test thread drives it. {@link #close()} never leaves a process behind, frozen or not.
 */
final class ForkedWorker implements AutoCloseable {
    private static final Pattern READY = Pattern.compile(WorkerProcess.READY + " id=(\\S+) pid=(\\d+)");
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final String name;
    private final Map<String, String> environment;
    private final List<String> arguments;
    private final Path output;
    private Process process;
    private String workerId;
    private int launches;
    private boolean frozen;

    private ForkedWorker(String name, Map<String, String> environment, List<String> arguments, Path output) {
        this.name = name;
        this.environment = Map.copyOf(environment);
        this.arguments = List.copyOf(arguments);
        this.output = output;
    }

    /**
     * Launches a worker and waits until it printed its ready line.
     *
     * @param name a name for logs and the output file ({@code <logDir>/<name>.log})
     * @param environment added to this JVM's environment: {@code REDIS_URL}, {@code DATABASE_URL}, {@code DB_*}
     * @param prefix the Redis key prefix
     * @param leaseTime the lease time; renewal runs every quarter of it
     */
    static ForkedWorker launch(
            String name, Path logDir, Map<String, String> environment, String prefix, Duration leaseTime) {
        ForkedWorker worker = unstarted(name, logDir, environment, prefix, leaseTime);
        worker.start();
        return worker;
    }

    private static ForkedWorker unstarted(
            String name, Path logDir, Map<String, String> environment, String prefix, Duration leaseTime) {
        try {
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ForkedWorker(
                name,
                environment,
                List.of(
                        prefix,
                        Long.toString(leaseTime.toMillis()),
                        Long.toString(leaseTime.dividedBy(4).toMillis())),
                logDir.resolve(name + ".log"));
    }

    /**
     * Launches workers {@code w1} to {@code w<count>} of a model-based fault test, all at once (a JVM's start takes
     * seconds on a busy machine), and waits until each is ready: {@code REDIS_URL} {@code redisUrl}, the database at
     * {@code databaseUrl} as application {@code cistern-fault-w<number>} (so a test can terminate its backends), short
     * connect, statement and idle-in-transaction timeouts, a pool of 4.
     */
    static List<ForkedWorker> launchFaultWorkers(
            int count, Path logDir, String redisUrl, String databaseUrl, String prefix, Duration leaseTime) {
        List<ForkedWorker> workers = new ArrayList<>();
        try {
            for (int w = 1; w <= count; w++) {
                ForkedWorker worker = faultWorker(w, logDir, redisUrl, databaseUrl, prefix, leaseTime);
                workers.add(worker);
                worker.spawn();
            }
            workers.forEach(ForkedWorker::awaitReady);
        } catch (RuntimeException | Error e) {
            workers.forEach(ForkedWorker::close); // the test never saw them: no process left behind
            throw e;
        }
        return workers;
    }

    private static ForkedWorker faultWorker(
            int number, Path logDir, String redisUrl, String databaseUrl, String prefix, Duration leaseTime) {
        return unstarted(
                "w" + number,
                logDir,
                Map.of(
                        "REDIS_URL", redisUrl,
                        "DATABASE_URL", databaseUrl,
                        "DB_APPLICATION_NAME", "cistern-fault-w" + number,
                        "DB_CONNECT_TIMEOUT_MS", "2000",
                        "DB_STATEMENT_TIMEOUT_MS", "10000",
                        "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", "5000",
                        "DB_POOL_SIZE", "4"),
                prefix,
                leaseTime);
    }

    /** Starts the process (again, after {@link #kill()}) and waits for its ready line. */
    void start() {
        spawn();
        awaitReady();
    }

    private void spawn() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is still running (pid " + process.pid() + ")");
        }
        launches++;
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                WorkerProcess.class.getName()));
        command.addAll(arguments);
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
        builder.environment().putAll(environment);
        try {
            appendMarker("launch " + launches);
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot launch worker " + name + ": " + e.getMessage(), e);
        }
        frozen = false;
    }

    private void awaitReady() {
        long pid = process.pid();
        await(name + " (pid " + pid + ") ready; output in " + output)
                .atMost(READY_TIMEOUT)
                .pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException(
                                name + " exited with " + process.exitValue() + " before it was ready:\n" + tail());
                    }
                    Matcher m = READY.matcher(output());
                    String id = null;
                    while (m.find()) {
                        if (Long.parseLong(m.group(2)) == pid) {
                            id = m.group(1);
                        }
                    }
                    workerId = id;
                    return id != null;
                });
    }

    String name() {
        return name;
    }

    /** The worker ID of the current launch (it names the lease holder in Redis). */
    String workerId() {
        return workerId;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    boolean isFrozen() {
        return frozen;
    }

    /** SIGKILL, as a crash or an OOM killer would; waits until the process is gone. */
    void kill() {
        appendMarker("SIGKILL");
        process.destroyForcibly();
        waitForExit(Duration.ofSeconds(30));
        frozen = false;
    }

    /** SIGSTOP: the JVM stops dead (a long GC pause, a frozen VM); its sockets stay open. */
    void freeze() {
        signal("STOP");
        frozen = true;
    }

    /** SIGCONT after {@link #freeze()}. */
    void thaw() {
        signal("CONT");
        frozen = false;
    }

    /** SIGTERM, then waits for the exit; returns the exit code. */
    int terminate(Duration timeout) {
        if (frozen) {
            thaw();
        }
        appendMarker("SIGTERM");
        process.destroy();
        return waitForExit(timeout);
    }

    /** Everything the worker printed so far, over all launches. */
    String output() {
        try {
            return Files.readString(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    /** The last lines of the output, for failure messages. */
    String tail() {
        String all = output();
        String[] lines = all.split("\n");
        int from = Math.max(0, lines.length - 60);
        return "--- last lines of " + output + " ---\n"
                + String.join("\n", java.util.Arrays.copyOfRange(lines, from, lines.length));
    }

    Path outputFile() {
        return output;
    }

    private void signal(String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                    .redirectErrorStream(true)
                    .start();
            String out = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed: " + out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending SIG" + signal, e);
        }
    }

    private int waitForExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(
                        name + " (pid " + process.pid() + ") did not exit within " + timeout.toMillis() + " ms");
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + name, e);
        }
    }

    private void appendMarker(String what) {
        try {
            Files.writeString(
                    output,
                    "===== fault test: " + what + " of " + name + " =====\n",
                    StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            // Only a marker for humans reading the file.
        }
    }

    /** Kills the process (thawing it first if frozen, so the kill is not left pending). */
    @Override
    public void close() {
        if (process == null || !process.isAlive()) {
            return;
        }
        if (frozen) {
            try {
                thaw();
            } catch (RuntimeException e) {
                // SIGKILL below works on a stopped process too.
            }
        }
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
