package io.cistern.sync;

import io.lettuce.core.XTrimArgs;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.models.stream.PendingMessages;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Trims a partition stream up to what every consumer group on it has acknowledged ({@link TrimPoint}), with an exact
 * {@code XTRIM MINID}; never {@code MAXLEN}, which would drop entries some group still needs (invariant 5). Reads the
 * groups with {@code XINFO GROUPS} and each group's oldest pending entry with {@code XPENDING}. A group only moves
 * forward between the read and the trim, so the trim stays safe; a group created (or set back) meanwhile at an ID
 * below the trim point is the one race left, and creating a group from an old ID is unsafe under any trimming. Not
 * thread-safe: used by one partition loop on its own connection.
 */
final class StreamTrimmer {
    private final RedisClusterCommands<String, String> redis;

    StreamTrimmer(RedisClusterCommands<String, String> redis) {
        this.redis = redis;
    }

    /**
     * Trims {@code stream}; returns how many entries went.
     *
     * @param appliedWatermark the partition's applied watermark, when known: nothing above it is trimmed
     */
    long trim(String stream, Optional<String> appliedWatermark) {
        Optional<String> point = TrimPoint.of(groups(stream), appliedWatermark);
        if (point.isEmpty()) {
            return 0;
        }
        Long trimmed = redis.xtrim(stream, XTrimArgs.Builder.minId(point.get()).exactTrimming());
        return trimmed == null ? 0 : trimmed;
    }

    List<TrimPoint.GroupPosition> groups(String stream) {
        List<TrimPoint.GroupPosition> positions = new ArrayList<>();
        for (Object g : redis.xinfoGroups(stream)) {
            List<?> fields = (List<?>) g;
            String name = null;
            String lastDelivered = null;
            long pending = 0;
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                String field = String.valueOf(fields.get(i));
                Object value = fields.get(i + 1);
                switch (field) {
                    case "name" -> name = String.valueOf(value);
                    case "last-delivered-id" -> lastDelivered = String.valueOf(value);
                    case "pending" -> pending = ((Number) value).longValue();
                    default -> {
                        // consumers, entries-read, lag: not needed
                    }
                }
            }
            if (name == null || lastDelivered == null) {
                throw new IllegalStateException(
                        "XINFO GROUPS " + stream + " answered without a name or last-delivered-id: " + fields);
            }
            Optional<String> oldestPending = Optional.empty();
            if (pending > 0) {
                PendingMessages summary = redis.xpending(stream, name);
                if (summary.getCount() > 0) {
                    oldestPending =
                            Optional.of(summary.getMessageIds().getLower().getValue());
                }
            }
            positions.add(new TrimPoint.GroupPosition(name, lastDelivered, oldestPending));
        }
        return positions;
    }
}
