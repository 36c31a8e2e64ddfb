package io.cistern.ops;

import io.cistern.ops.status.LeaseStatus;
import io.cistern.ops.status.PartitionStatus;
import io.cistern.ops.status.StatusJson;
import io.cistern.ops.status.StatusSnapshot;
import io.cistern.schema.codec.ExactJson;
import java.io.PrintWriter;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code ops/cistern leases}: which worker owns which partition, since when, with which fencing token. */
@Command(
        name = "leases",
        mixinStandardHelpOptions = true,
        description = "Which sync worker owns which partition, since when and with which fencing token, and when its"
                + " lease expires unless renewed. A partition with no owner is not being applied.")
final class LeasesCommand implements Callable<Integer> {
    @Mixin
    ConnectionOptions connection;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "One JSON array instead of a table.")
    boolean json;

    @Override
    public Integer call() {
        StatusSnapshot s = StatusCli.withStatus(connection, status -> status.read());
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ArrayNode array = ExactJson.mapper().createArrayNode();
            for (PartitionStatus p : s.partitions()) {
                ObjectNode n = array.addObject();
                n.put("partition", p.partition());
                p.master().ifPresent(m -> n.put("master", m)); // on a Redis Cluster: where the lease key lives
                n.set("owner", StatusJson.toJson(p).get("owner"));
            }
            out.println(ExactJson.mapper().writeValueAsString(array));
            out.flush();
            return 0;
        }
        out.printf("%-4s %-32s %-24s %8s %10s%n", "P", "OWNER", "SINCE", "TOKEN", "EXPIRES IN");
        Map<String, Integer> perWorker = new TreeMap<>();
        int unowned = 0;
        for (PartitionStatus p : s.partitions()) {
            if (p.owner().isEmpty()) {
                unowned++;
                out.printf("%-4d %-32s %-24s %8s %10s%n", p.partition(), "(none)", "-", "-", "-");
                continue;
            }
            LeaseStatus o = p.owner().get();
            perWorker.merge(o.worker(), 1, Integer::sum);
            out.printf(
                    "%-4d %-32s %-24s %8s %10s%n",
                    p.partition(),
                    o.worker(),
                    o.since().map(Object::toString).orElse("(not recorded)"),
                    o.token().isPresent() ? Long.toString(o.token().getAsLong()) : "-",
                    StatusCli.age(o.expiresIn()));
        }
        perWorker.forEach((w, n) -> out.printf("%s owns %d partition%s%n", w, n, n == 1 ? "" : "s"));
        out.printf(
                "%d of %d partitions have no owner%n", unowned, s.partitions().size());
        out.flush();
        return 0;
    }
}
