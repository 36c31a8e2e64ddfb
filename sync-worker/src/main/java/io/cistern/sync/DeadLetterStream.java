package io.cistern.sync;

import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.wire.DeadLetterFields;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Appends dead letters to their partition's dead-letter stream ({@link KeyLayout#deadLetters(int)}). Each entry holds
 * the fields of {@link DeadLetterFields}: why ({@code reason}, {@code sqlstate}), how often the batch was tried ({@code
 * attempts}), where it came from ({@code entry_id}, {@code partition}, {@code worker}), and the original entry's fields unchanged ({@code t}, {@code k},
 * {@code o}, {@code v}, {@code c:*}), so it can be replayed.
 *
 * <p>The record hash key goes into {@link KeyLayout#deadLetterKeys(int)} and the entry onto the stream in one script:
 * a hash must never expire with a dead letter open, and whoever resolves dead letters ({@link DeadLetterReplayer})
 * decides from the stream whether a key still has one, atomically, so it can never see the key marked without its
 * letter or the letter without its mark. Not thread-safe: used by one partition loop (or one replayer call) at a time
 * on its connection.
 */
final class DeadLetterStream {
    /*
     * KEYS[1] dead-letter stream, KEYS[2] dead-lettered keys set, KEYS[3] the record hash (absent for a malformed
     * entry); ARGV[1] the ID of a dead letter this one replaces ('' for none), ARGV[2..] field, value, ...
     * Returns the new entry's ID.
     */
    private static final String APPEND = """
            if KEYS[3] then redis.call('SADD', KEYS[2], KEYS[3]) end
            local fields = {}
            for i = 2, #ARGV do fields[#fields + 1] = ARGV[i] end
            local id = redis.call('XADD', KEYS[1], '*', unpack(fields))
            if ARGV[1] ~= '' then redis.call('XDEL', KEYS[1], ARGV[1]) end
            return id
            """;

    private final RedisClusterCommands<String, String> redis;
    private final KeyLayout layout;
    private final String workerId;

    DeadLetterStream(RedisClusterCommands<String, String> redis, KeyLayout layout, String workerId) {
        this.redis = redis;
        this.layout = layout;
        this.workerId = workerId;
    }

    void append(int partition, List<DeadLetter> deadLetters) {
        for (DeadLetter d : deadLetters) {
            append(partition, d, "");
        }
    }

    /**
     * Appends {@code deadLetter} and, in the same script, deletes the dead letter {@code replacing} (its ID on the
     * dead-letter stream; {@code ""} for none): a replay that failed again keeps its dead letter, with the new reason.
     *
     * @return the new dead letter's ID on the stream
     */
    String append(int partition, DeadLetter deadLetter, String replacing) {
        List<String> args = new ArrayList<>();
        args.add(replacing);
        fields(partition, deadLetter).forEach((field, value) -> {
            args.add(field);
            args.add(value);
        });
        List<String> keys = new ArrayList<>(3);
        keys.add(layout.deadLetters(partition));
        keys.add(layout.deadLetterKeys(partition));
        String table = deadLetter.fields().get(ChangeEntry.TABLE);
        String key = deadLetter.fields().get(ChangeEntry.KEY);
        if (table != null && key != null) {
            keys.add(layout.record(partition, table, key));
        }
        return redis.eval(APPEND, ScriptOutputType.VALUE, keys.toArray(String[]::new), args.toArray(String[]::new));
    }

    private Map<String, String> fields(int partition, DeadLetter d) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put(DeadLetterFields.REASON, d.reason());
        fields.put(DeadLetterFields.SQLSTATE, d.sqlState());
        fields.put(DeadLetterFields.ATTEMPTS, Integer.toString(d.attempts()));
        fields.put(DeadLetterFields.ENTRY_ID, d.entryId());
        fields.put(DeadLetterFields.PARTITION, Integer.toString(partition));
        fields.put(DeadLetterFields.WORKER, workerId);
        fields.putAll(d.fields());
        return fields;
    }
}
