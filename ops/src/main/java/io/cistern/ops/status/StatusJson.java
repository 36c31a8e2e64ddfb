package io.cistern.ops.status;

import io.cistern.schema.codec.ExactJson;
import java.time.Duration;
import java.util.List;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The JSON form of a {@link StatusSnapshot}: what {@code ops/cistern lag --json} prints, one object. Ages are seconds
 * with millisecond precision; absent values are {@code null}. Fields are only ever added, never renamed.
 *
 * <pre>
 * {"takenAt":"2026-11-23T09:30:00.123Z","prefix":"cistern",
 *  "totals":{"backlog":12,"oldestAgeSeconds":3.5,"pending":2,"deadLetters":0},
 *  "partitions":[{"partition":0,"backlog":12,"oldestAgeSeconds":3.5,"oldestUnappliedId":"1795...-0",
 *    "appliedWatermark":"1795...-3","lastEntryId":"1795...-0","streamLength":20,"entriesAdded":1020,
 *    "pending":2,"deadLetters":0,
 *    "paused":false,"pausedBy":null,"owner":{"worker":"host-1-ab12","since":"...","token":7,"expiresInMillis":9000},
 *    "xinfoLag":12,"deletedBeforeApplied":false,"exact":true,
 *    "lastError":{"message":"CONNECTION (SQLSTATE 08001): Connection to db:5432 refused.","at":"..."}}, ...]}
 * </pre>
 *
 * On a Redis Cluster each partition also has {@code "master":"10.0.0.7:6379"}, the master serving its slot.
 */
public final class StatusJson {
    private StatusJson() {}

    /** The snapshot as one JSON object. */
    public static ObjectNode toJson(StatusSnapshot s) {
        ObjectNode root = ExactJson.mapper().createObjectNode();
        root.put("takenAt", s.takenAt().toString());
        root.put("prefix", s.prefix());
        ObjectNode totals = root.putObject("totals");
        totals.put("backlog", s.backlog());
        totals.put("oldestAgeSeconds", s.oldestAge().toMillis() / 1000.0);
        totals.put("pending", s.pending());
        totals.put("deadLetters", s.deadLetters());
        ArrayNode partitions = root.putArray("partitions");
        s.partitions().forEach(p -> partitions.add(toJson(p)));
        return root;
    }

    /** One partition as a JSON object. */
    public static ObjectNode toJson(PartitionStatus p) {
        ObjectNode n = ExactJson.mapper().createObjectNode();
        n.put("partition", p.partition());
        // On a Redis Cluster only: the master serving the partition's slot.
        p.master().ifPresent(m -> n.put("master", m));
        n.put("backlog", p.backlog());
        n.put("oldestAgeSeconds", p.oldestAgeSeconds());
        n.put("oldestUnappliedId", p.oldestUnappliedId().orElse(null));
        n.put("appliedWatermark", p.appliedWatermark().orElse(null));
        n.put("lastEntryId", p.lastEntryId().orElse(null));
        n.put("streamLength", p.streamLength());
        n.put("entriesAdded", p.entriesAdded());
        n.put("pending", p.pending());
        n.put("deadLetters", p.deadLetters());
        n.put("paused", p.paused());
        n.put("pausedBy", p.pausedBy().orElse(null));
        if (p.owner().isPresent()) {
            LeaseStatus o = p.owner().get();
            ObjectNode owner = n.putObject("owner");
            owner.put("worker", o.worker());
            owner.put("since", o.since().map(Object::toString).orElse(null));
            if (o.token().isPresent()) {
                owner.put("token", o.token().getAsLong());
            } else {
                owner.putNull("token");
            }
            owner.put("expiresInMillis", o.expiresIn().toMillis());
        } else {
            n.putNull("owner");
        }
        if (p.xinfoLag().isPresent()) {
            n.put("xinfoLag", p.xinfoLag().getAsLong());
        } else {
            n.putNull("xinfoLag");
        }
        n.put("deletedBeforeApplied", p.deletedBeforeApplied());
        n.put("exact", p.exact());
        if (p.lastError().isPresent()) {
            ApplyError e = p.lastError().get();
            ObjectNode error = n.putObject("lastError");
            error.put("message", e.message());
            error.put("at", e.at().map(Object::toString).orElse(null));
        } else {
            n.putNull("lastError");
        }
        return n;
    }

    /**
     * Adds to {@code root} (a snapshot's JSON) the partitions found stalled with it: {@code "maxStallSeconds":30.0,
     * "stalls":[{"partition":3,"stalledForSeconds":42.0,"since":"...","reason":"partition 3: applied nothing for 42 s
     * ..."}]}, by partition; an empty array when none is (or the check is off, {@code maxStallSeconds} 0).
     */
    public static ObjectNode withStalls(ObjectNode root, List<PartitionStall> stalls, Duration maxStall) {
        root.put("maxStallSeconds", maxStall.toMillis() / 1000.0);
        ArrayNode array = root.putArray("stalls");
        for (PartitionStall s : stalls) {
            ObjectNode n = array.addObject();
            n.put("partition", s.partition());
            n.put("stalledForSeconds", s.stalledFor().toMillis() / 1000.0);
            n.put("since", s.since().toString());
            n.put("reason", s.reason(maxStall));
        }
        return root;
    }

    /** The snapshot as compact JSON text. */
    public static String toText(StatusSnapshot s) {
        return ExactJson.mapper().writeValueAsString(toJson(s));
    }
}
