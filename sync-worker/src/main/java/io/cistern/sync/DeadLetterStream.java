package io.cistern.sync;

import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.keys.KeyLayout;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Appends dead letters to their partition's dead-letter stream ({@link KeyLayout#deadLetters(int)}). Each entry holds
 * why ({@code reason}, {@code sqlstate}), how often the batch was tried ({@code attempts}), where it came from ({@code
 * entry_id}, {@code partition}, {@code worker}), and the original entry's fields unchanged ({@code t}, {@code k},
 * {@code o}, {@code v}, {@code c:*}), so it can be replayed. Not thread-safe: used by one partition loop on its own
 * connection.
 */
final class DeadLetterStream {
    static final String REASON = "reason";
    static final String SQLSTATE = "sqlstate";
    static final String ATTEMPTS = "attempts";
    static final String ENTRY_ID = "entry_id";
    static final String PARTITION = "partition";
    static final String WORKER = "worker";

    private final RedisCommands<String, String> redis;
    private final KeyLayout layout;
    private final String workerId;

    DeadLetterStream(RedisCommands<String, String> redis, KeyLayout layout, String workerId) {
        this.redis = redis;
        this.layout = layout;
        this.workerId = workerId;
    }

    void append(int partition, List<DeadLetter> deadLetters) {
        for (DeadLetter d : deadLetters) {
            Map<String, String> fields = new LinkedHashMap<>();
            fields.put(REASON, d.reason());
            fields.put(SQLSTATE, d.sqlState());
            fields.put(ATTEMPTS, Integer.toString(d.attempts()));
            fields.put(ENTRY_ID, d.entryId());
            fields.put(PARTITION, Integer.toString(partition));
            fields.put(WORKER, workerId);
            fields.putAll(d.fields());
            // The key is marked first: a hash must never expire with a dead letter open, even if the XADD fails.
            String table = d.fields().get(ChangeEntry.TABLE);
            String key = d.fields().get(ChangeEntry.KEY);
            if (table != null && key != null) {
                redis.sadd(layout.deadLetterKeys(partition), layout.record(partition, table, key));
            }
            redis.xadd(layout.deadLetters(partition), fields);
        }
    }
}
