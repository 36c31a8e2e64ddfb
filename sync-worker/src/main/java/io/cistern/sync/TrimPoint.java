package io.cistern.sync;

import java.util.List;
import java.util.Optional;

/**
 * Where a partition stream may be trimmed ({@code XTRIM MINID}): below the first entry that some consumer group still
 * needs, and never past the applied watermark. Pure: no threads, no I/O.
 *
 * <p>A group still needs every entry it has not been delivered (after its last-delivered ID) and every entry delivered
 * but not acknowledged (its pending entries, from the oldest one). {@code MINID x} removes the entries below {@code
 * x}, so a group is safe with {@code x} = its oldest pending ID when it has pending entries, else its last-delivered
 * ID (that entry itself is kept: one entry of slack is cheaper than computing a successor ID). A group that never read
 * has last-delivered {@code 0-0} and so stops all trimming. Other teams' groups count exactly like {@code sync}.
 */
final class TrimPoint {
    /**
     * One consumer group's position on the stream.
     *
     * @param lastDeliveredId the group's last-delivered ID
     * @param oldestPendingId the oldest entry delivered to it and not yet acknowledged, or empty when none is
     */
    record GroupPosition(String name, String lastDeliveredId, Optional<String> oldestPendingId) {}

    private TrimPoint() {}

    /**
     * The ID to trim below, or empty when nothing may be trimmed.
     *
     * @param groups every consumer group on the stream
     * @param appliedWatermark the partition's applied watermark, when known
     */
    static Optional<String> of(List<GroupPosition> groups, Optional<String> appliedWatermark) {
        if (groups.isEmpty()) {
            // No group at all: nobody has acknowledged anything, not even the sync worker.
            return Optional.empty();
        }
        String min = null;
        for (GroupPosition g : groups) {
            String needed = g.oldestPendingId().orElse(g.lastDeliveredId());
            min = min == null || StreamIds.compare(needed, min) < 0 ? needed : min;
        }
        if (appliedWatermark.isPresent() && StreamIds.compare(appliedWatermark.get(), min) < 0) {
            min = appliedWatermark.get();
        }
        return "0-0".equals(min) ? Optional.empty() : Optional.of(min);
    }
}
