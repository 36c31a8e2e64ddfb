package io.cistern.spring.boot;

import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.keys.StreamEntryId;
import io.cistern.schema.wire.MetaFields;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * {@code cisternBacklog}: how much is buffered in Redis and how old the oldest change not yet applied to PostgreSQL is,
 * read from the partition streams and their applied watermarks (never from {@code XINFO}'s best-effort lag). See
 * {@link BacklogAssessment} for the verdict. Thread-safe; the connection is a {@link ProbeConnection}.
 */
final class CisternBacklogHealthIndicator implements HealthIndicator, AutoCloseable {
    private final ProbeConnection probe;
    private final KeyLayout layout;
    private final Duration ageWarning;
    private final InstantSource clock;

    CisternBacklogHealthIndicator(
            AbstractRedisClient client, KeyLayout layout, Duration ageWarning, InstantSource clock) {
        this.probe = new ProbeConnection(client);
        this.layout = layout;
        this.ageWarning = ageWarning;
        this.clock = clock;
    }

    @Override
    public Health health() {
        return probe.check(this::check, Map.of("prefix", layout.prefix()));
    }

    private Health check(RedisClusterCommands<String, String> redis) {
        String partitions = redis.hget(layout.meta(0), MetaFields.PARTITIONS);
        if (partitions == null) {
            return Health.down()
                    .withDetail("prefix", layout.prefix())
                    .withDetail(
                            "reason",
                            "Cistern is not initialised in this Redis under prefix '" + layout.prefix()
                                    + "': run `ops/cistern init`, or check cistern.key-prefix")
                    .build();
        }
        List<BacklogAssessment.PartitionReading> readings = new ArrayList<>();
        for (int p = 0; p < Integer.parseInt(partitions); p++) {
            readings.add(read(redis, p));
        }
        BacklogAssessment verdict = BacklogAssessment.assess(readings, clock.instant(), ageWarning);
        return Health.status(new Status(verdict.status()))
                .withDetails(verdict.details())
                .build();
    }

    private BacklogAssessment.PartitionReading read(RedisClusterCommands<String, String> redis, int partition) {
        List<io.lettuce.core.KeyValue<String, String>> meta =
                redis.hmget(layout.meta(partition), MetaFields.APPLIED, MetaFields.MAX_BACKLOG);
        String applied = meta.get(0).getValueOrElse("0-0");
        long maxBacklog = Long.parseLong(meta.get(1).getValueOrElse("0"));
        String stream = layout.stream(partition);
        long entries = redis.xlen(stream);
        List<StreamMessage<String, String>> first = redis.xrange(
                stream, Range.from(Range.Boundary.excluding(applied), Range.Boundary.unbounded()), Limit.create(0, 1));
        Optional<Instant> oldest = first.isEmpty()
                ? Optional.empty()
                : Optional.of(Instant.ofEpochMilli(
                        StreamEntryId.parse(first.get(0).getId()).millis()));
        return new BacklogAssessment.PartitionReading(partition, entries, maxBacklog, oldest);
    }

    @Override
    public void close() {
        probe.close();
    }
}
