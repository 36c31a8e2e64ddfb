package io.cistern.ops;

import io.cistern.ops.bench.ProgressBar;
import io.cistern.ops.status.DrainProgress;
import io.cistern.ops.status.PartitionStatus;
import io.cistern.ops.status.StatusSnapshot;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ops/cistern drain --wait}: a barrier for deploys and batch jobs. */
@Command(
        name = "drain",
        mixinStandardHelpOptions = true,
        description = {
            "Check, or with --wait wait, until everything written before the command started is applied in"
                    + " PostgreSQL: every partition's applied watermark has passed the last entry its stream held at"
                    + " the start. Later writes are not waited for. For deploys and batch jobs: `ops/cistern drain"
                    + " --wait --timeout 5m && run-the-report`.",
            "Exit 0 when drained; 1 when not (without --wait) or not within --timeout, naming the partitions left"
                    + " and why (paused, no owner). Entries dead-lettered meanwhile count as done and are reported."
                    + " A progress bar goes to stderr."
        })
final class DrainCommand implements Callable<Integer> {
    @Mixin
    ConnectionOptions connection;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--wait", description = "Wait until drained (default: check once).")
    boolean await;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            converter = StatusCli.DurationConverter.class,
            description = "With --wait: give up after this long, like 90s or 10m (default: ${DEFAULT-VALUE}).")
    Duration timeout = Duration.ofMinutes(10);

    @Option(
            names = "--poll",
            paramLabel = "DURATION",
            converter = StatusCli.DurationConverter.class,
            description = "Time between checks (default: ${DEFAULT-VALUE}).")
    Duration poll = Duration.ofMillis(250);

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        return StatusCli.withStatus(connection, status -> {
            DrainProgress drain = DrainProgress.from(status.read());
            StatusSnapshot now = drain.start();
            if (!drain.drained(now)) {
                warnAboutStuck(err, drain.undrained(now));
            }
            if (await && !drain.drained(now)) {
                long total = drain.initialBacklog();
                ProgressBar bar = new ProgressBar(err, "drain", (int) Math.min(Integer.MAX_VALUE, total));
                Instant deadline = Instant.now().plus(timeout);
                while (!drain.drained(now) && Instant.now().isBefore(deadline)) {
                    try {
                        Thread.sleep(poll);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                    now = status.read();
                    bar.update((int) Math.min(Integer.MAX_VALUE, total - drain.remaining(now)));
                }
                bar.done();
            }
            long deadLetters = drain.deadLettersAdded(now);
            if (deadLetters > 0) {
                err.printf(
                        "cistern drain: %d entries were dead-lettered meanwhile instead of applied: see ops/cistern"
                                + " dlq list%n",
                        deadLetters);
            }
            if (drain.drained(now)) {
                out.printf(
                        "drained: every entry written before %s is applied (%d entries were waiting at the start)%n",
                        drain.start().takenAt(), drain.initialBacklog());
                out.flush();
                err.flush();
                return 0;
            }
            List<PartitionStatus> left = drain.undrained(now);
            err.printf(
                    "cistern drain: not drained%s: %d entries written before %s are not applied yet, in partitions %s%n",
                    await ? " after " + StatusCli.age(timeout) : "",
                    drain.remaining(now),
                    drain.start().takenAt(),
                    left.stream().map(DrainCommand::describe).collect(Collectors.joining(", ")));
            out.flush();
            err.flush();
            return 1;
        });
    }

    private static void warnAboutStuck(PrintWriter err, List<PartitionStatus> left) {
        for (PartitionStatus p : left) {
            if (p.paused()) {
                err.printf(
                        "cistern drain: partition %d is paused (by %s): it cannot drain until `ops/cistern resume %d`%n",
                        p.partition(), p.pausedBy().orElse("?"), p.partition());
            } else if (p.owner().isEmpty()) {
                err.printf(
                        "cistern drain: partition %d has no owner: start a sync worker (ops/cistern sync-worker)%n",
                        p.partition());
            }
        }
        err.flush();
    }

    private static String describe(PartitionStatus p) {
        return p.partition() + " (backlog " + p.backlog() + ", oldest " + StatusCli.age(p.oldestAge())
                + (p.paused() ? ", paused" : "") + (p.owner().isEmpty() ? ", no owner" : "") + ")";
    }
}
