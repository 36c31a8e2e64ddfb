package io.cistern.ops.dashboard;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
import io.cistern.ops.status.BufferCapacity;
import io.cistern.ops.status.DeadLetterCounts;
import io.cistern.ops.status.PartitionStall;
import io.cistern.ops.status.PipelineStatus;
import io.cistern.ops.status.StatusJson;
import io.cistern.ops.status.StatusSnapshot;
import io.cistern.schema.codec.ExactJson;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.pools.DatabasePool;
import io.cistern.schema.pools.PoolAnnouncer;
import io.cistern.sync.DeadLetterEntry;
import io.cistern.sync.DeadLetterTable;
import io.cistern.sync.OpenDeadLetter;
import io.cistern.sync.RecordedDeadLetter;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What the dashboard shows, read from Redis (and the dead letters from {@code cistern_dead_letter}, their record of
 * truth, where the service has a database): the pipeline status ({@link PipelineStatus}, the same snapshot as {@code
 * ops/cistern lag --json}) and the activity (entries ever added per partition, for throughput in, and the latest dead
 * letters). Connects on first use, so a service serves its page while Redis is still awaited; closed with the service.
 *
 * <p>Never shows a value of a record: a dead letter is shown by its time, partition, table, key, operation, the first
 * line of its reason (a database message's {@code DETAIL} line may quote values) and its SQLSTATE. Thread-safe.
 */
public final class DashboardSource implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DashboardSource.class);
    /** How many of the latest dead letters the dashboard lists. */
    static final int LATEST_DEAD_LETTERS = 10;

    static final int MAX_REASON_CHARS = 300;

    /*
     * KEYS[1] the partition stream, KEYS[2] its dead-letter stream; ARGV[1] how many dead letters. Returns
     * {entries ever added to the stream (0 when there is none), the newest dead letters}.
     */
    private static final String ACTIVITY = """
            #!lua flags=no-writes
            local added = 0
            if redis.call('EXISTS', KEYS[1]) == 1 then
              local info = redis.call('XINFO', 'STREAM', KEYS[1])
              for i = 1, #info, 2 do
                if info[i] == 'entries-added' then added = info[i + 1] end
              end
            end
            return {added, redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', tonumber(ARGV[1]))}
            """;

    private final RedisSettings redis;
    private final KeyLayout layout;
    /** Where dead letters are recorded, when this service has a database; else the Redis notices stand in. */
    private final DatabaseSettings database;

    private DeadLetterCounts deadLetterCounts;
    private HikariDataSource deadLetterPool;
    /** Announces {@link #deadLetterPool} for doctor; closed before the client. */
    private PoolAnnouncer poolAnnouncer;

    /** The client behind {@link #poolAnnouncer} (off a cluster only). */
    private RedisClient announcerClient;

    private RedisDeployment deployment;
    private PipelineStatus status;

    /**
     * A source for a service without a database (the writer API): its dead letters are the notices on the partitions'
     * Redis dead-letter streams, and the page says so.
     */
    public DashboardSource(RedisSettings redis, KeyLayout layout) {
        this.redis = Objects.requireNonNull(redis, "redis");
        this.layout = Objects.requireNonNull(layout, "layout");
        this.database = null;
    }

    /**
     * A source whose dead letters are read where they are recorded, {@code cistern_dead_letter} in {@code database}
     * (one connection of its own, on first use), falling back to the Redis notices while it cannot be read.
     */
    public DashboardSource(RedisSettings redis, KeyLayout layout, DatabaseSettings database) {
        this.redis = Objects.requireNonNull(redis, "redis");
        this.layout = Objects.requireNonNull(layout, "layout");
        this.database = Objects.requireNonNull(database, "database");
    }

    /** Where the dashboard reads, for messages: the Redis URL without its password. */
    String describe() {
        return "Redis at " + redis.redactedUrl() + " (prefix '" + layout.prefix() + "')";
    }

    /**
     * A status reader of its own on this source's Redis deployment (for a monitor that keeps the dashboard's history):
     * Lettuce multiplexes the one connection, so a slow page never waits behind it. Closing it leaves the deployment
     * open.
     */
    PipelineStatus newStatusReader() {
        DeadLetterCounts counts = deadLetterCounts();
        return counts == null
                ? PipelineStatus.on(this::deployment, layout, null)
                : PipelineStatus.on(this::deployment, layout, counts);
    }

    /**
     * The status snapshot as JSON text: what {@code ops/cistern lag --json} prints (with the buffer's capacity at
     * {@code writeRate} entries per second, {@link BufferCapacity#withBuffer}; {@code null} when Redis will not tell),
     * with the partitions {@code stalls} names ({@link StatusJson#withStalls}): stalls are measured across reads, by the
     * service's monitor.
     */
    String statusJson(List<PartitionStall> stalls, Duration maxStall, OptionalDouble writeRate) {
        PipelineStatus reader = status();
        StatusSnapshot snapshot = reader.read();
        Optional<BufferCapacity> buffer;
        try {
            buffer = Optional.of(BufferCapacity.of(reader.readBuffer(snapshot), writeRate));
        } catch (RedisException e) {
            buffer = Optional.empty(); // an ACL without INFO or MEMORY: the lag is still shown
        }
        return ExactJson.mapper()
                .writeValueAsString(StatusJson.withStalls(
                        BufferCapacity.withBuffer(StatusJson.toJson(snapshot), buffer), stalls, maxStall));
    }

    /**
     * Activity as JSON text: {@code {"partitions":[{"partition":0,"entriesAdded":120},...],
     * "deadLettersFrom":"postgres","deadLetters":[{"partition":3,"id":"...","recordedAt":"...","table":"...",
     * "key":"...","operation":"patch","reason":"record absent","sqlState":"","attempts":1},...]}}, the dead letters
     * newest first. {@code deadLettersFrom} says where they were read: {@code postgres} (their record of truth,
     * {@code cistern_dead_letter}; {@code id} is what {@code ops/cistern dlq show} takes) or {@code redis} (the
     * notices on the dead-letter streams, for a service without a database or while it cannot be read).
     */
    String activityJson() {
        int partitions = status().partitions();
        RedisClusterCommands<String, String> commands = deployment().sync();
        ObjectNode root = ExactJson.mapper().createObjectNode();
        ArrayNode added = root.putArray("partitions");
        List<Shown> notices = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            List<Object> reply = commands.eval(
                    ACTIVITY,
                    ScriptOutputType.MULTI,
                    new String[] {layout.stream(p), layout.deadLetters(p)},
                    Integer.toString(LATEST_DEAD_LETTERS));
            ObjectNode n = added.addObject();
            n.put("partition", p);
            n.put("entriesAdded", ((Number) reply.get(0)).longValue());
            for (Object entry : (List<?>) reply.get(1)) {
                List<?> e = (List<?>) entry;
                notices.add(Shown.of(OpenDeadLetter.fromStream(p, e.get(0).toString(), fields((List<?>) e.get(1)))));
            }
        }
        List<Shown> letters = recorded().orElse(notices);
        root.put("deadLettersFrom", letters == notices ? "redis" : "postgres");
        ArrayNode dead = root.putArray("deadLetters");
        letters.stream()
                .sorted(Comparator.comparing(Shown::recordedAt).reversed())
                .limit(LATEST_DEAD_LETTERS)
                .forEach(d -> {
                    ObjectNode n = dead.addObject();
                    n.put("partition", d.partition());
                    n.put("id", d.id());
                    n.put("recordedAt", d.recordedAt().toString());
                    n.put("table", d.letter().table());
                    n.put("key", d.letter().key());
                    n.put("operation", d.letter().operation());
                    n.put("reason", firstLine(d.reason()));
                    n.put("sqlState", d.sqlState());
                    n.put("attempts", d.attempts());
                });
        return ExactJson.mapper().writeValueAsString(root);
    }

    /** The newest open dead letters in {@code cistern_dead_letter}; empty without a database or while it is away. */
    private Optional<List<Shown>> recorded() {
        DeadLetterCounts counts = deadLetterCounts();
        if (counts == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new DeadLetterTable(deadLetterPool)
                    .newestOpen(LATEST_DEAD_LETTERS).stream().map(Shown::of).toList());
        } catch (SQLException | RuntimeException e) {
            LOG.debug("dashboard: cistern_dead_letter cannot be read; showing the Redis notices: {}", e.getMessage());
            return Optional.empty();
        }
    }

    /** One dead letter as the dashboard shows it, recorded or a notice. */
    private record Shown(
            int partition,
            String id,
            Instant recordedAt,
            DeadLetterEntry letter,
            String reason,
            String sqlState,
            int attempts) {
        static Shown of(OpenDeadLetter d) {
            return new Shown(d.partition(), d.id(), d.recordedAt(), d, d.reason(), d.sqlState(), d.attempts());
        }

        static Shown of(RecordedDeadLetter d) {
            return new Shown(
                    d.partition(), Long.toString(d.id()), d.recordedAt(), d, d.reason(), d.sqlState(), d.attempts());
        }
    }

    /** The first line of a reason, at most {@value #MAX_REASON_CHARS} characters: never a DETAIL line with values. */
    static String firstLine(String reason) {
        int end = reason.indexOf('\n');
        String line = (end < 0 ? reason : reason.substring(0, end)).strip();
        return line.length() <= MAX_REASON_CHARS ? line : line.substring(0, MAX_REASON_CHARS - 1) + "…";
    }

    private static Map<String, String> fields(List<?> flat) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            fields.put(flat.get(i).toString(), flat.get(i + 1).toString());
        }
        return fields;
    }

    private synchronized PipelineStatus status() {
        if (status == null) {
            status = newStatusReader();
        }
        return status;
    }

    /** The counts (and their one-connection pool) of this source's database; null without one. */
    private synchronized DeadLetterCounts deadLetterCounts() {
        if (database != null && deadLetterCounts == null) {
            deadLetterPool = DeadLetterCounts.pool(database);
            deadLetterCounts = DeadLetterCounts.of(deadLetterPool);
            // Announced for doctor's max_connections check while the pool lives (off a cluster: the announcements'
            // unpartitioned key has no home there yet).
            if (redis.topology() != RedisSettings.Topology.CLUSTER) {
                announcerClient = RedisClients.create(redis);
                poolAnnouncer = PoolAnnouncer.start(
                        announcerClient,
                        layout,
                        DatabasePool.ofThisProcess(
                                DatabasePool.DASHBOARD,
                                DeadLetterCounts.POOL_SIZE,
                                DatabasePool.database(database.hosts(), database.database())),
                        PoolAnnouncer.DEFAULT_LIFETIME);
            }
        }
        return deadLetterCounts;
    }

    private synchronized RedisDeployment deployment() {
        if (deployment == null) {
            deployment = RedisDeployment.open(redis);
        }
        return deployment;
    }

    @Override
    public synchronized void close() {
        if (poolAnnouncer != null) {
            poolAnnouncer.close();
        }
        if (status != null) {
            status.close();
        }
        if (announcerClient != null) {
            announcerClient.shutdown();
        }
        if (deployment != null) {
            deployment.close();
        }
        if (deadLetterPool != null) {
            deadLetterPool.close();
        }
    }
}
