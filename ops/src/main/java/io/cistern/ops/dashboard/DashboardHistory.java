package io.cistern.ops.dashboard;

import io.cistern.ops.status.PartitionStall;
import io.cistern.ops.status.StatusHistory;
import io.cistern.ops.status.StatusMonitor;
import io.cistern.ops.status.WriteRate;
import io.cistern.schema.codec.ExactJson;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The last minutes the dashboard's charts draw, kept by the service so that a page loaded now draws them at once: a
 * {@link StatusHistory} fed by a {@link StatusMonitor}. The sync worker and {@code up} already run one for their gauges
 * and readiness, and the history follows it; a service without one (the writer API, the read proxy) runs one of its
 * own for the dashboard, on the dashboard's Redis client, from its start. Either way Redis is read once per refresh
 * interval whoever watches, and a page's request for the history reads memory only. Thread-safe.
 */
final class DashboardHistory implements AutoCloseable {
    private final StatusHistory history;
    /** The monitor this history follows: the service's, or its own. */
    private final StatusMonitor monitor;
    /** The monitor this history started itself, closed with it; null when it follows the service's. */
    private final StatusMonitor own;
    /** The rate writes arrive at, from the same snapshots, for the buffer's time left. */
    private final WriteRate rate = new WriteRate(WriteRate.DEFAULT_WINDOW);

    private DashboardHistory(StatusHistory history, StatusMonitor monitor, StatusMonitor own) {
        this.history = Objects.requireNonNull(history, "history");
        this.monitor = Objects.requireNonNull(monitor, "monitor");
        this.own = own;
    }

    /** The monitor's stalled partitions ({@link StatusMonitor#stalls()}), for the status the page shows. */
    List<PartitionStall> stalls() {
        return monitor.stalls();
    }

    /** The monitor's stall bound. */
    Duration maxStall() {
        return monitor.maxStall();
    }

    /** A history of the snapshots {@code monitor} reads; the monitor stays its owner's. */
    static DashboardHistory following(StatusMonitor monitor, StatusHistory history) {
        DashboardHistory h = new DashboardHistory(history, monitor, null);
        h.follow();
        return h;
    }

    /** A history of the snapshots of a monitor of its own, started now and stopped by {@link #close()}. */
    static DashboardHistory watching(DashboardSource source, StatusHistory history) {
        StatusMonitor monitor = new StatusMonitor(source.newStatusReader(), StatusMonitor.DEFAULT_INTERVAL);
        DashboardHistory h = new DashboardHistory(history, monitor, monitor);
        h.follow();
        monitor.start();
        return h;
    }

    private void follow() {
        monitor.onSnapshot(history::record);
        monitor.onSnapshot(rate::record);
    }

    /** Entries added per second over the last minute of snapshots; empty before two. */
    OptionalDouble writeRate() {
        return rate.perSecond();
    }

    /**
     * The history as JSON text, the samples after {@code after} (all of them when empty), oldest first:
     *
     * <pre>
     * {"now":1795000000000,"retentionSeconds":300,"spacingMillis":2000,"maxPartitionSeries":256,
     *  "samples":[{"t":1794999998000,"partitions":16,"backlog":12,"entriesAdded":1020,"deadLetters":0,
     *    "inPerSecond":5.5,"outPerSecond":4.0,"partitionBacklogs":[0,12,0,...]},...]}
     * </pre>
     *
     * Times are epoch milliseconds of the service's clock; {@code inPerSecond} and {@code outPerSecond} are {@code
     * null} on a first sample; {@code partitionBacklogs} is empty above {@code maxPartitionSeries} partitions.
     */
    String json(Optional<Instant> after) {
        Instant now = history.now();
        List<StatusHistory.Sample> samples = after.map(history::samplesAfter).orElseGet(history::samples);
        ObjectNode root = ExactJson.mapper().createObjectNode();
        root.put("now", now.toEpochMilli());
        root.put("retentionSeconds", history.retention().toSeconds());
        root.put("spacingMillis", history.spacing().toMillis());
        root.put("maxPartitionSeries", StatusHistory.MAX_PARTITION_SERIES);
        ArrayNode array = root.putArray("samples");
        for (StatusHistory.Sample s : samples) {
            ObjectNode n = array.addObject();
            n.put("t", s.at().toEpochMilli());
            n.put("partitions", s.partitions());
            n.put("backlog", s.backlog());
            n.put("entriesAdded", s.entriesAdded());
            n.put("deadLetters", s.deadLetters());
            rate(n, "inPerSecond", s.inPerSecond());
            rate(n, "outPerSecond", s.outPerSecond());
            ArrayNode backlogs = n.putArray("partitionBacklogs");
            for (long b : s.partitionBacklogs()) {
                backlogs.add(b);
            }
        }
        return ExactJson.mapper().writeValueAsString(root);
    }

    private static void rate(ObjectNode n, String name, OptionalDouble rate) {
        if (rate.isPresent()) {
            // Three decimals are plenty for a chart, and keep the JSON short.
            n.put(name, Math.round(rate.getAsDouble() * 1000) / 1000.0);
        } else {
            n.putNull(name);
        }
    }

    @Override
    public void close() {
        if (own != null) {
            own.close();
        }
    }
}
