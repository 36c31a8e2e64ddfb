package io.cistern.ops.status;

import io.cistern.schema.codec.ExactJson;
import io.cistern.schema.function.MemoryGuard;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import tools.jackson.databind.node.ObjectNode;

/**
 * How long an outage of PostgreSQL the buffer can absorb: the entries and bytes Redis can still take before the
 * Function refuses writes with back-pressure, and the time that lasts at the current write rate. Pure arithmetic over a
 * {@link Reading} and a rate; immutable.
 *
 * <p>During an outage nothing drains, so every write stays: the time left is the entries left divided by the rate
 * writes arrive at (entries added per second, {@link WriteRate}), whether or not the database is away now. Two limits
 * refuse writes, and the first reached counts:
 *
 * <ul>
 *   <li><b>memory</b> ({@link MemoryGuard}): {@code limit - used_memory} bytes, divided by the bytes an entry takes
 *       ({@link Reading#bytesPerEntry()}: the sampled {@code MEMORY USAGE} of the partition streams per entry, plus
 *       that of a record hash, as if every write were of a new key. A workload that rewrites the same keys adds only
 *       the stream entry, so it lasts longer than shown: the figure errs on the safe side);
 *   <li><b>backlog</b> ({@code --max-backlog}, per partition): writes spread over the partitions evenly, so the
 *       fullest partition refuses first, after {@code partitions x (max backlog - longest stream)} more entries.
 * </ul>
 *
 * @param limit the memory guard in force and why
 * @param usedMemory Redis's {@code used_memory}
 * @param bytesLeft bytes before the memory guard refuses; empty when there is none
 * @param bytesPerEntry Redis memory per buffered entry; empty before any entry was there to sample
 * @param entriesLeft entries before back-pressure; empty when no limit bounds the buffer, or when only memory does
 *     and no entry was sampled yet
 * @param boundBy which limit {@code entriesLeft} comes from: {@code memory}, {@code backlog} or {@code none}
 * @param writeRate entries added per second lately; empty when unknown
 * @param timeLeft {@code entriesLeft / writeRate}; empty when either is unknown, or nothing is being written
 */
public record BufferCapacity(
        MemoryGuard.Limit limit,
        long usedMemory,
        OptionalLong bytesLeft,
        OptionalDouble bytesPerEntry,
        OptionalLong entriesLeft,
        String boundBy,
        OptionalDouble writeRate,
        java.util.Optional<Duration> timeLeft) {
    public BufferCapacity {
        Objects.requireNonNull(limit, "limit");
        Objects.requireNonNull(bytesLeft, "bytesLeft");
        Objects.requireNonNull(bytesPerEntry, "bytesPerEntry");
        Objects.requireNonNull(entriesLeft, "entriesLeft");
        Objects.requireNonNull(boundBy, "boundBy");
        Objects.requireNonNull(writeRate, "writeRate");
        Objects.requireNonNull(timeLeft, "timeLeft");
    }

    /**
     * What Redis says about the buffer at one instant, what the arithmetic needs.
     *
     * @param memory Redis's {@code INFO memory}
     * @param configuredMemoryLimit the memory limit published for the Function ({@code max_memory}: -1 auto, 0 off,
     *     else bytes)
     * @param maxBacklog the backlog limit per partition; 0 when there is none
     * @param partitions the partition count
     * @param longestStream the most entries any partition stream holds
     * @param bytesPerEntry Redis memory per buffered entry, sampled; empty when the streams held nothing to sample
     */
    public record Reading(
            MemoryGuard.RedisMemory memory,
            long configuredMemoryLimit,
            long maxBacklog,
            int partitions,
            long longestStream,
            OptionalDouble bytesPerEntry) {
        public Reading {
            Objects.requireNonNull(memory, "memory");
            Objects.requireNonNull(bytesPerEntry, "bytesPerEntry");
            if (partitions < 1) {
                throw new IllegalArgumentException("partitions must be positive, was " + partitions);
            }
        }
    }

    /** The capacity of the buffer {@code reading} describes, filling at {@code writeRate} entries per second. */
    public static BufferCapacity of(Reading reading, OptionalDouble writeRate) {
        MemoryGuard.Limit limit = MemoryGuard.effective(reading.configuredMemoryLimit(), reading.memory());
        long used = reading.memory().usedMemory();
        OptionalLong bytesLeft =
                limit.bounded() ? OptionalLong.of(Math.max(0, limit.bytes() - used)) : OptionalLong.empty();
        OptionalLong byMemory = OptionalLong.empty();
        if (bytesLeft.isPresent()
                && reading.bytesPerEntry().isPresent()
                && reading.bytesPerEntry().getAsDouble() > 0) {
            byMemory = OptionalLong.of(
                    (long) (bytesLeft.getAsLong() / reading.bytesPerEntry().getAsDouble()));
        }
        OptionalLong byBacklog = reading.maxBacklog() > 0
                ? OptionalLong.of(reading.partitions() * Math.max(0, reading.maxBacklog() - reading.longestStream()))
                : OptionalLong.empty();
        OptionalLong entriesLeft;
        String boundBy;
        if (byMemory.isPresent() && (byBacklog.isEmpty() || byMemory.getAsLong() <= byBacklog.getAsLong())) {
            entriesLeft = byMemory;
            boundBy = "memory";
        } else if (byBacklog.isPresent()) {
            entriesLeft = byBacklog;
            boundBy = "backlog";
        } else {
            entriesLeft = OptionalLong.empty();
            boundBy = "none";
        }
        java.util.Optional<Duration> timeLeft = java.util.Optional.empty();
        if (entriesLeft.isPresent() && writeRate.isPresent() && writeRate.getAsDouble() > 0) {
            timeLeft = java.util.Optional.of(
                    Duration.ofMillis((long) (entriesLeft.getAsLong() / writeRate.getAsDouble() * 1000)));
        }
        return new BufferCapacity(
                limit, used, bytesLeft, reading.bytesPerEntry(), entriesLeft, boundBy, writeRate, timeLeft);
    }

    /** Whether back-pressure comes at some point: a memory guard or a backlog limit is in force. */
    public boolean bounded() {
        return limit.bounded() || boundBy.equals("backlog");
    }

    /**
     * The JSON form, the {@code buffer} object of {@code ops/cistern lag --json} and of the dashboard's status. Absent
     * values are {@code null}:
     *
     * <pre>
     * {"usedMemoryBytes":1250000,"memoryLimitBytes":30198988,"memoryLimitBasis":"90% of Redis maxmemory 32.0 MiB",
     *  "bytesLeft":28948988,"bytesPerEntry":512.3,"entriesLeft":56507,"boundBy":"memory",
     *  "writeRatePerSecond":250.0,"timeLeftSeconds":226.0}
     * </pre>
     */
    public ObjectNode toJson() {
        ObjectNode n = ExactJson.mapper().createObjectNode();
        n.put("usedMemoryBytes", usedMemory);
        n.put("memoryLimitBytes", limit.bytes());
        n.put("memoryLimitBasis", limit.basis());
        put(n, "bytesLeft", bytesLeft);
        put(n, "bytesPerEntry", bytesPerEntry.isPresent() ? round(bytesPerEntry.getAsDouble()) : null);
        put(n, "entriesLeft", entriesLeft);
        n.put("boundBy", boundBy);
        put(n, "writeRatePerSecond", writeRate.isPresent() ? round(writeRate.getAsDouble()) : null);
        put(n, "timeLeftSeconds", timeLeft.map(t -> t.toMillis() / 1000.0).orElse(null));
        return n;
    }

    /**
     * {@code snapshot} as {@link StatusJson} writes it, with the {@code buffer} object ({@link #toJson()}, {@code null}
     * when unknown) after the partitions: what {@code ops/cistern lag --json} prints.
     */
    public static String statusJson(StatusSnapshot snapshot, java.util.Optional<BufferCapacity> buffer) {
        return ExactJson.mapper().writeValueAsString(withBuffer(StatusJson.toJson(snapshot), buffer));
    }

    /** Adds the {@code buffer} object ({@code null} when unknown) to a status object; returns it. */
    public static ObjectNode withBuffer(ObjectNode status, java.util.Optional<BufferCapacity> buffer) {
        if (buffer.isPresent()) {
            status.set("buffer", buffer.get().toJson());
        } else {
            status.putNull("buffer");
        }
        return status;
    }

    /**
     * One line for people, as {@code ops/cistern lag} prints it: {@code buffer: 56,507 entries (27.6 MiB) left before
     * back-pressure (memory: 90% of Redis maxmemory 32.0 MiB), about 3 min 46 s at 250.0 writes/s}.
     */
    public String describe() {
        if (!bounded()) {
            return "buffer: NOT BOUNDED: no memory guard (" + limit.basis() + ") and no backlog limit; a long outage"
                    + " grows Redis until the host runs out of memory (docs/runbook.md, A long outage)";
        }
        StringBuilder sb = new StringBuilder("buffer: ");
        if (entriesLeft.isPresent()) {
            sb.append(String.format(Locale.ROOT, "%,d entries", entriesLeft.getAsLong()));
            bytesLeft.ifPresent(
                    b -> sb.append(" (").append(MemoryGuard.bytes(b)).append(")"));
        } else {
            sb.append(MemoryGuard.bytes(bytesLeft.orElse(0)));
        }
        sb.append(" left before back-pressure (");
        sb.append(boundBy.equals("backlog") ? "backlog limit per partition" : "memory: " + limit.basis());
        sb.append(")");
        if (timeLeft.isPresent()) {
            sb.append(String.format(
                    Locale.ROOT, ", about %s at %.1f writes/s", human(timeLeft.get()), writeRate.getAsDouble()));
        } else if (writeRate.isPresent()) {
            sb.append(writeRate.getAsDouble() > 0 ? "" : ", not filling: no writes lately");
        } else {
            sb.append(", time unknown (no write rate yet)");
        }
        return sb.toString();
    }

    private static String human(Duration d) {
        long s = d.toSeconds();
        if (s < 60) {
            return s + " s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
        }
        if (s < 86_400 * 2) {
            return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
        }
        return String.format(Locale.ROOT, "%d days", s / 86_400);
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static void put(ObjectNode n, String name, OptionalLong v) {
        if (v.isPresent()) {
            n.put(name, v.getAsLong());
        } else {
            n.putNull(name);
        }
    }

    private static void put(ObjectNode n, String name, Double v) {
        if (v != null) {
            n.put(name, v);
        } else {
            n.putNull(name);
        }
    }
}
