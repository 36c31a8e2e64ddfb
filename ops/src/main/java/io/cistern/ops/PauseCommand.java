package io.cistern.ops;

import io.cistern.ops.status.PipelineStatus;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ops/cistern pause P}: stops every worker from reading or applying partition P until it is resumed. */
@Command(
        name = "pause",
        mixinStandardHelpOptions = true,
        description = {
            "Pause a partition: its owner finishes the batch in hand, then no worker reads or applies it until"
                    + " `ops/cistern resume`. Its lease stays, writes keep arriving (they count towards the buffer"
                    + " limits) and lag grows. For maintenance on the rows it holds, or to stop a partition that keeps"
                    + " failing. Logged (by the command and by the worker) with who paused it; `ops/cistern lag` shows it."
        })
final class PauseCommand implements Callable<Integer> {
    @Mixin
    ConnectionOptions connection;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PARTITION")
    int partition;

    @Option(names = "--reason", paramLabel = "TEXT", description = "Why, kept with the pause and shown by lag.")
    String reason;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        String actor = StatusCli.actor("pause", reason);
        boolean changed = StatusCli.withStatus(connection, status -> {
            requirePartition(status, partition);
            return status.control(partition).pause(partition, actor);
        });
        if (changed) {
            out.printf(
                    "partition %d paused by %s; its owner finishes the batch in hand and applies nothing more until"
                            + " `ops/cistern resume %d`%n",
                    partition, actor, partition);
        } else {
            out.printf("partition %d was already paused; nothing changed%n", partition);
        }
        out.flush();
        return 0;
    }

    static void requirePartition(PipelineStatus status, int partition) {
        int partitions = status.partitions();
        if (partition < 0 || partition >= partitions) {
            throw new IllegalArgumentException("partition " + partition + " does not exist: prefix '"
                    + status.layout().prefix() + "' has partitions 0 to " + (partitions - 1));
        }
    }

    /** {@code ops/cistern resume P}. */
    @Command(
            name = "resume",
            mixinStandardHelpOptions = true,
            description = "Resume a paused partition: its owner applies the entries that accumulated, in stream order."
                    + " Logged with who resumed it.")
    static final class ResumeCommand implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "PARTITION")
        int partition;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            String actor = StatusCli.actor("resume", null);
            boolean changed = StatusCli.withStatus(connection, status -> {
                requirePartition(status, partition);
                return status.control(partition).resume(partition, actor);
            });
            if (changed) {
                out.printf(
                        "partition %d resumed by %s; its owner applies what accumulated, in order%n", partition, actor);
            } else {
                out.printf("partition %d was not paused; nothing changed%n", partition);
            }
            out.flush();
            return 0;
        }
    }
}
