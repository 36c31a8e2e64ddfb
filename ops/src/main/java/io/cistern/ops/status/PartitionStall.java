package io.cistern.ops.status;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A partition that applied nothing for {@code stalledFor} while entries waited, as {@link StallDetector} found it.
 * Immutable.
 *
 * @param status the partition at the read that found it stalled
 * @param since the first read that saw its watermark where it still is, with entries waiting
 * @param stalledFor from {@code since} to that read
 */
public record PartitionStall(PartitionStatus status, Instant since, Duration stalledFor) {
    public PartitionStall {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(stalledFor, "stalledFor");
    }

    public int partition() {
        return status.partition();
    }

    /**
     * For operators: {@code partition 3: applied nothing for 42 s with 120 entries waiting, over the 30 s stall
     * bound (owner worker-a; last error at 2026-12-07T14:01:02Z: CONNECTION (SQLSTATE 08001): Connection refused)}.
     */
    public String reason(Duration maxStall) {
        StringBuilder why = new StringBuilder("partition ")
                .append(status.partition())
                .append(": applied nothing for ")
                .append(seconds(stalledFor))
                .append(" s with ")
                .append(status.backlog())
                .append(" entries waiting, over the ")
                .append(seconds(maxStall))
                .append(" s stall bound (");
        if (status.owner().isEmpty()) {
            why.append("no worker owns it");
        } else {
            why.append("owner ").append(status.owner().get().worker());
        }
        if (status.lastError().isPresent()) {
            ApplyError e = status.lastError().get();
            why.append("; last error")
                    .append(e.at().map(at -> " at " + at).orElse(""))
                    .append(": ")
                    .append(e.message());
        } else if (status.owner().isPresent()) {
            why.append("; its worker reported no error: a batch may be waiting on an unresponsive database");
        }
        return why.append(')').toString();
    }

    /** Whole seconds as they are, else to a tenth: {@code 30}, {@code 4.1}. */
    private static String seconds(Duration d) {
        long tenths = Math.round(d.toMillis() / 100.0);
        return tenths % 10 == 0 ? Long.toString(tenths / 10) : Double.toString(tenths / 10.0);
    }
}
