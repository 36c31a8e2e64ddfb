package io.cistern.ops;

import io.cistern.ops.status.PartitionStatus;
import io.cistern.ops.status.StatusJson;
import io.cistern.ops.status.StatusSnapshot;
import io.cistern.schema.codec.ExactJson;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code ops/cistern partitions}: every partition and its state. */
@Command(
        name = "partitions",
        mixinStandardHelpOptions = true,
        description = {
            "Every partition with its state: paused (an operator stopped it), unowned (no worker holds its lease:"
                    + " nothing applies it), applying (owned, with a backlog) or idle (owned, nothing to apply); its"
                    + " applied watermark, stream length, backlog and dead letters.",
        })
final class PartitionsCommand implements Callable<Integer> {
    @Mixin
    ConnectionOptions connection;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "One JSON array instead of a table.")
    boolean json;

    /** The one-word state of a partition. */
    static String state(PartitionStatus p) {
        if (p.paused()) {
            return "paused";
        }
        if (p.owner().isEmpty()) {
            return "unowned";
        }
        return p.backlog() > 0 ? "applying" : "idle";
    }

    @Override
    public Integer call() {
        StatusSnapshot s = StatusCli.withStatus(connection, status -> status.read());
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ArrayNode array = ExactJson.mapper().createArrayNode();
            for (PartitionStatus p : s.partitions()) {
                ObjectNode n = StatusJson.toJson(p);
                n.put("state", state(p));
                array.add(n);
            }
            out.println(ExactJson.mapper().writeValueAsString(array));
            out.flush();
            return 0;
        }
        out.printf(
                "%-4s %-9s %-24s %10s %10s %6s %s%n",
                "P", "STATE", "APPLIED WATERMARK", "STREAM", "BACKLOG", "DLQ", "OWNER");
        for (PartitionStatus p : s.partitions()) {
            out.printf(
                    "%-4d %-9s %-24s %10d %10d %6d %s%n",
                    p.partition(),
                    state(p),
                    p.appliedWatermark().orElse("(none yet)"),
                    p.streamLength(),
                    p.backlog(),
                    p.deadLetters(),
                    p.owner().map(o -> o.worker()).orElse("(none)")
                            + p.pausedBy().map(by -> "  paused by " + by).orElse(""));
        }
        out.printf("%d partitions, prefix '%s'%n", s.partitions().size(), s.prefix());
        out.flush();
        return 0;
    }
}
