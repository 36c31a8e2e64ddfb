package io.cistern.ops.dashboard;

import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisSettings;
import io.cistern.ops.status.BufferCapacity;
import io.cistern.ops.status.PipelineStatus;
import io.cistern.ops.status.StatusSnapshot;
import io.cistern.schema.codec.ExactJson;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.sync.OpenDeadLetter;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What the dashboard shows, read from Redis: the pipeline status ({@link PipelineStatus}, the same snapshot as {@code
 * ops/cistern lag --json}) and the activity (entries ever added per partition, for throughput in, and the latest dead
 * letters). Connects on first use, so a service serves its page while Redis is still awaited; closed with the service.
 *
 * <p>Never shows a value of a record: a dead letter is shown by its time, partition, table, key, operation, the first
 * line of its reason (a database message's {@code DETAIL} line may quote values) and its SQLSTATE. Thread-safe.
 */
public final class DashboardSource implements AutoCloseable {
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
    private RedisClient client;
    private PipelineStatus status;
    private StatefulRedisConnection<String, String> connection;

    public DashboardSource(RedisSettings redis, KeyLayout layout) {
        this.redis = Objects.requireNonNull(redis, "redis");
        this.layout = Objects.requireNonNull(layout, "layout");
    }

    /** Where the dashboard reads, for messages: the Redis URL without its password. */
    String describe() {
        return "Redis at " + redis.redactedUrl() + " (prefix '" + layout.prefix() + "')";
    }

    /**
     * A status reader of its own on this source's Redis client (for a monitor that keeps the dashboard's history):
     * its own connection, so that a slow page never waits behind it. Closing it leaves the client open.
     */
    PipelineStatus newStatusReader() {
        return new PipelineStatus(client(), layout);
    }

    /**
     * The status snapshot with the buffer's capacity at {@code writeRate} entries per second, as {@code ops/cistern lag
     * --json} prints it ({@link BufferCapacity#statusJson}); the buffer is {@code null} when Redis will not tell.
     */
    String statusJson(OptionalDouble writeRate) {
        PipelineStatus reader = status();
        StatusSnapshot snapshot = reader.read();
        Optional<BufferCapacity> buffer;
        try {
            buffer = Optional.of(BufferCapacity.of(reader.readBuffer(snapshot), writeRate));
        } catch (RedisException e) {
            buffer = Optional.empty(); // an ACL without INFO or MEMORY: the lag is still shown
        }
        return BufferCapacity.statusJson(snapshot, buffer);
    }

    /**
     * Activity as JSON text: {@code {"partitions":[{"partition":0,"entriesAdded":120},...],
     * "deadLetters":[{"partition":3,"id":"...","recordedAt":"...","table":"...","key":"...","operation":"patch",
     * "reason":"record absent","sqlState":"","attempts":1},...]}}, the dead letters newest first.
     */
    String activityJson() {
        int partitions = status().partitions();
        RedisCommands<String, String> commands = commands();
        ObjectNode root = ExactJson.mapper().createObjectNode();
        ArrayNode added = root.putArray("partitions");
        List<OpenDeadLetter> letters = new ArrayList<>();
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
                letters.add(OpenDeadLetter.fromStream(p, e.get(0).toString(), fields((List<?>) e.get(1))));
            }
        }
        ArrayNode dead = root.putArray("deadLetters");
        letters.stream()
                .sorted(Comparator.comparing(OpenDeadLetter::recordedAt).reversed())
                .limit(LATEST_DEAD_LETTERS)
                .forEach(d -> {
                    ObjectNode n = dead.addObject();
                    n.put("partition", d.partition());
                    n.put("id", d.id());
                    n.put("recordedAt", d.recordedAt().toString());
                    n.put("table", d.table());
                    n.put("key", d.key());
                    n.put("operation", d.operation());
                    n.put("reason", firstLine(d.reason()));
                    n.put("sqlState", d.sqlState());
                    n.put("attempts", d.attempts());
                });
        return ExactJson.mapper().writeValueAsString(root);
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
            status = new PipelineStatus(client(), layout);
        }
        return status;
    }

    private synchronized RedisCommands<String, String> commands() {
        if (connection == null || !connection.isOpen()) {
            connection = client().connect();
        }
        return connection.sync();
    }

    private synchronized RedisClient client() {
        if (client == null) {
            client = RedisClients.create(redis);
        }
        return client;
    }

    @Override
    public synchronized void close() {
        if (status != null) {
            status.close();
        }
        if (connection != null) {
            connection.close();
        }
        if (client != null) {
            client.shutdown();
        }
    }
}
