package io.cistern.ops;

import io.cistern.ops.status.BufferCapacity;
import io.cistern.ops.status.PartitionStatus;
import io.cistern.ops.status.PipelineStatus;
import io.cistern.ops.status.StatusSnapshot;
import io.cistern.ops.status.WriteRate;
import io.lettuce.core.RedisException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ops/cistern lag}: how far behind PostgreSQL is, per partition. */
@Command(
        name = "lag",
        mixinStandardHelpOptions = true,
        description = {
            "How far behind PostgreSQL is, per partition: BACKLOG (entries not yet applied), OLDEST (age of the oldest"
                    + " of them), PENDING (read by a worker, not yet acknowledged), OWNER (the worker holding the"
                    + " lease), DLQ (dead letters) and PAUSED.",
            "Computed from entry IDs and the applied watermark the workers publish after each commit, so it stays"
                    + " right after trims and deletes that make Redis's own XINFO lag null or wrong.",
            "Then the outage the buffer can absorb: entries and bytes Redis can take before writes are refused with"
                    + " back-pressure, and how long that lasts at the current write rate (watched for --rate-window)."
        })
final class LagCommand implements Callable<Integer> {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LagCommand.class);

    @Mixin
    ConnectionOptions connection;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "One JSON object (with --watch: one per line).")
    boolean json;

    @Option(names = "--watch", description = "Refresh every --interval until interrupted (Ctrl-C).")
    boolean watch;

    @Option(
            names = "--interval",
            paramLabel = "DURATION",
            converter = StatusCli.DurationConverter.class,
            description = "With --watch: time between refreshes, like 2s or 500ms (default: ${DEFAULT-VALUE}).")
    Duration interval = Duration.ofSeconds(2);

    @Option(
            names = "--count",
            paramLabel = "N",
            description = "With --watch: stop after N refreshes (default: until interrupted).")
    int count = Integer.MAX_VALUE;

    @Option(
            names = "--rate-window",
            paramLabel = "DURATION",
            converter = StatusCli.DurationConverter.class,
            description = "How long the first reading watches the entries added, for the write rate behind the"
                    + " buffer's time left (later --watch refreshes use the time since the previous one); 0s skips it"
                    + " (default: ${DEFAULT-VALUE}).")
    Duration rateWindow = Duration.ofSeconds(1);

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        int refreshes = watch ? count : 1;
        boolean terminal = System.console() != null && !json;
        return StatusCli.withStatus(connection, status -> {
            StatusSnapshot previous = null;
            for (int i = 0; i < refreshes; i++) {
                StatusSnapshot s = status.read();
                if (previous == null && rateWindow.isPositive()) {
                    previous = s;
                    sleep(rateWindow);
                    s = status.read();
                }
                OptionalDouble rate = previous == null ? OptionalDouble.empty() : WriteRate.between(previous, s);
                previous = s;
                Optional<BufferCapacity> buffer = buffer(status, s, rate);
                if (terminal && watch) {
                    out.print("\033[H\033[2J");
                }
                if (json) {
                    out.println(BufferCapacity.statusJson(s, buffer));
                } else {
                    print(out, s);
                    out.println(buffer.map(BufferCapacity::describe).orElse("buffer: unknown (see the log)"));
                }
                out.flush();
                if (i + 1 < refreshes) {
                    try {
                        Thread.sleep(interval);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
            return 0;
        });
    }

    /**
     * The buffer's capacity, or empty (with a warning) when Redis will not tell: an ACL without {@code INFO} or {@code
     * MEMORY}, say. The lag itself is still printed.
     */
    private static Optional<BufferCapacity> buffer(PipelineStatus status, StatusSnapshot s, OptionalDouble rate) {
        try {
            return Optional.of(BufferCapacity.of(status.readBuffer(s), rate));
        } catch (RedisException e) {
            LOG.warn("cannot read the buffer's capacity: {}", e.getMessage());
            return Optional.empty();
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void print(PrintWriter out, StatusSnapshot s) {
        // On a Redis Cluster, a column for the master serving each partition's slot.
        boolean cluster = s.partitions().stream().anyMatch(p -> p.master().isPresent());
        String master = cluster ? "%-21s " : "%s";
        out.printf(
                "%-4s " + master + "%10s %12s %8s %-32s %6s %s%n",
                "P",
                cluster ? "MASTER" : "",
                "BACKLOG",
                "OLDEST",
                "PENDING",
                "OWNER",
                "DLQ",
                "PAUSED");
        for (PartitionStatus p : s.partitions()) {
            out.printf(
                    "%-4d " + master + "%10d %12s %8d %-32s %6d %s%s%n",
                    p.partition(),
                    p.master().orElse(""),
                    p.backlog(),
                    p.backlog() == 0 ? "-" : StatusCli.age(p.oldestAge()),
                    p.pending(),
                    p.owner().map(o -> o.worker()).orElse("(none)"),
                    p.deadLetters(),
                    p.pausedBy().map(by -> "yes, by " + by).orElse("no"),
                    p.deletedBeforeApplied() ? "  ! an unapplied entry was deleted with XDEL" : "");
        }
        out.printf(
                "total: backlog %d entries, oldest %s%s, pending %d, dead letters %d (read at %s, prefix '%s')%n",
                s.backlog(),
                s.backlog() == 0 ? "-" : StatusCli.age(s.oldestAge()),
                s.mostBehind().map(p -> " (partition " + p.partition() + ")").orElse(""),
                s.pending(),
                s.deadLetters(),
                s.takenAt(),
                s.prefix());
    }
}
