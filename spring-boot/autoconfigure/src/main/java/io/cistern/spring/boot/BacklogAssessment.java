package io.cistern.spring.boot;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the partition streams say about the buffer, for the {@code cisternBacklog} health contributor. Pure: the
 * readings come in, a verdict and its details come out.
 *
 * <p>Verdict: {@code OUT_OF_SERVICE} when some partition's stream is at or past its backlog limit (the writer refuses
 * writes to it with a retryable error until the sync worker catches up); {@code UP} otherwise, with {@code degraded}
 * set when the oldest entry not yet applied is older than the warning age (PostgreSQL down or slow, or no worker
 * running): writes are still accepted then, which is the point of the buffer.
 *
 * @param status {@code UP} or {@code OUT_OF_SERVICE}
 * @param details what the verdict rests on, for the health output
 */
record BacklogAssessment(String status, Map<String, Object> details) {

    /**
     * One partition's stream.
     *
     * @param partition the partition
     * @param entries entries on its stream ({@code XLEN}: what backpressure counts; includes applied entries not yet
     *     trimmed)
     * @param maxBacklog the limit past which writes are refused; 0 for none
     * @param oldestUnapplied the time of the oldest entry after the applied watermark, when there is one
     */
    record PartitionReading(int partition, long entries, long maxBacklog, Optional<Instant> oldestUnapplied) {}

    static BacklogAssessment assess(List<PartitionReading> readings, Instant now, Duration ageWarning) {
        long entries = 0;
        Duration oldest = Duration.ZERO;
        Integer oldestPartition = null;
        List<Integer> full = new java.util.ArrayList<>();
        for (PartitionReading r : readings) {
            entries += r.entries();
            if (r.maxBacklog() > 0 && r.entries() >= r.maxBacklog()) {
                full.add(r.partition());
            }
            if (r.oldestUnapplied().isPresent()) {
                Duration age = Duration.between(r.oldestUnapplied().get(), now);
                if (age.isNegative()) {
                    age = Duration.ZERO;
                }
                if (oldestPartition == null || age.compareTo(oldest) > 0) {
                    oldest = age;
                    oldestPartition = r.partition();
                }
            }
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("partitions", readings.size());
        details.put("bufferedEntries", entries);
        details.put("oldestUnappliedSeconds", oldest.toMillis() / 1000.0);
        if (oldestPartition != null) {
            details.put("oldestUnappliedPartition", oldestPartition);
        }
        if (!full.isEmpty()) {
            details.put("fullPartitions", List.copyOf(full));
            details.put(
                    "reason",
                    "partitions " + full + " are at their backlog limit: writes to them are refused (retryable) until"
                            + " the sync worker catches up");
            return new BacklogAssessment("OUT_OF_SERVICE", details);
        }
        boolean degraded = oldest.compareTo(ageWarning) > 0;
        details.put("degraded", degraded);
        if (degraded) {
            details.put(
                    "reason",
                    "the oldest change not yet in PostgreSQL is " + oldest.toSeconds() + " s old (partition "
                            + oldestPartition + "), past the warning age of " + ageWarning.toSeconds()
                            + " s: is PostgreSQL reachable and a sync worker running? Writes are still accepted");
        }
        return new BacklogAssessment("UP", details);
    }
}
