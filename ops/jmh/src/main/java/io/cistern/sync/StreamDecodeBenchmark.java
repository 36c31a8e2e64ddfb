package io.cistern.sync;

import io.cistern.jmh.Fixtures;
import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.codec.ValueCodec;
import io.cistern.schema.registry.TableDef;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.output.StreamReadOutput;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.protocol.RedisStateMachine;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The worker's decode of one {@code XREADGROUP} reply of 1,000 entries, as a partition loop receives it (issue 22): the
 * reply's RESP3 bytes, as Redis 7 sends them to a Lettuce connection that said {@code HELLO 3} (a map of one stream to
 * its entries, each entry an ID and 18 field and value strings), parsed by Lettuce's {@link RedisStateMachine} into a
 * {@link StreamReadOutput} with the partition loops' {@link StreamReplyCodec}, then each message turned into a {@link
 * ChangeEntry} as {@code PartitionLoop.process} does. The entries are what {@code bench sync-insert} writes: the demo
 * table's five columns ({@link Fixtures#benchColumns}), a UUID key, version and ID increasing. Time and {@code -prof gc}
 * allocation are per entry ({@link OperationsPerInvocation}). In package {@code io.cistern.sync} because {@link
 * StreamReplyCodec} is package-private.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class StreamDecodeBenchmark {
    static final int ENTRIES = 1_000;
    private static final String STREAM = "cistern:{p:7}:stream";

    /**
     * The change-entry format of the reply: 1, 18 field and value strings per entry (every release); 2, one field and
     * its packed value (issue 22's denser entry). Both in one run, so before and after share the machine's load.
     */
    @Param({"1", "2"})
    public int format;

    private ByteBuf reply;
    private RedisStateMachine parser;
    private List<StreamMessage<String, String>> messages;

    @Setup(Level.Trial)
    public void setUp() {
        TableDef table = Fixtures.table();
        ByteArrayOutputStream resp = new ByteArrayOutputStream(256 * ENTRIES);
        // XREADGROUP over RESP3: %1 (stream name -> array of entries), each entry *2 (ID, *18 fields and values) in
        // the order the Function's XADD gives them: t, k, o, v, then the c: columns in the writer's order.
        ascii(resp, "%1\r\n");
        bulk(resp, STREAM);
        ascii(resp, "*" + ENTRIES + "\r\n");
        for (int i = 0; i < ENTRIES; i++) {
            ascii(resp, "*2\r\n");
            bulk(resp, "1795000000123-" + i);
            Map<String, Object> columns = Fixtures.benchColumns(i);
            if (format == ChangeEntry.FORMAT_2) {
                // One field, e2:put:<table>:<columns>, and its packed value, as Function revision 9 writes them.
                java.util.LinkedHashMap<String, String> values = new java.util.LinkedHashMap<>();
                columns.forEach((name, value) -> values.put(
                        name,
                        ValueCodec.encode(Fixtures.TABLE, table.column(name).orElseThrow(), value)));
                ChangeEntry entry = new ChangeEntry(
                        "1795000000123-" + i,
                        Fixtures.TABLE,
                        Fixtures.key(i).toString(),
                        io.cistern.schema.codec.Operation.PUT,
                        1_000_000L + i,
                        values);
                ascii(resp, "*2\r\n");
                bulk(resp, entry.packedField());
                bulk(resp, entry.packedValue());
                continue;
            }
            ascii(resp, "*" + 2 * (4 + columns.size()) + "\r\n");
            bulk(resp, ChangeEntry.TABLE);
            bulk(resp, Fixtures.TABLE);
            bulk(resp, ChangeEntry.KEY);
            bulk(resp, Fixtures.key(i).toString());
            bulk(resp, ChangeEntry.OP);
            bulk(resp, "put");
            bulk(resp, ChangeEntry.VERSION);
            bulk(resp, Long.toString(1_000_000L + i));
            columns.forEach((name, value) -> {
                bulk(resp, ChangeEntry.COLUMN_PREFIX + name);
                bulk(resp, ValueCodec.encode(Fixtures.TABLE, table.column(name).orElseThrow(), value));
            });
        }
        byte[] bytes = resp.toByteArray();
        // Netty reads a socket into a direct buffer; the codec's decode path differs for heap buffers.
        reply = Unpooled.directBuffer(bytes.length);
        reply.writeBytes(bytes);
        parser = new RedisStateMachine();
        parser.setProtocolVersion(ProtocolVersion.RESP3);
        messages = parse();
        List<ChangeEntry> decoded = toEntries(messages);
        // A benchmark of a parse that went wrong would measure nothing: check the shape once.
        if (decoded.size() != ENTRIES
                || decoded.getLast().columns().size() != 5
                || !decoded.getLast().id().equals("1795000000123-" + (ENTRIES - 1))) {
            throw new IllegalStateException("the reply did not decode into " + ENTRIES + " entries: " + decoded.size());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        reply.release();
        parser.close();
    }

    private List<StreamMessage<String, String>> parse() {
        reply.readerIndex(0);
        StreamReadOutput<String, String> output = new StreamReadOutput<>(StreamReplyCodec.INSTANCE);
        if (!parser.decode(reply, output)) {
            throw new IllegalStateException("the reply is incomplete");
        }
        parser.reset();
        return output.get();
    }

    /** {@code PartitionLoop.process}'s loop, less its bookkeeping (ID list, malformed entries). */
    private static List<ChangeEntry> toEntries(List<StreamMessage<String, String>> batch) {
        List<ChangeEntry> entries = new ArrayList<>(batch.size());
        for (StreamMessage<String, String> m : batch) {
            entries.add(ChangeEntry.fromFields(m.getId(), m.getBody()));
        }
        return entries;
    }

    /** The whole decode: reply bytes to change entries. */
    @Benchmark
    @OperationsPerInvocation(ENTRIES)
    public List<ChangeEntry> replyToEntries() {
        return toEntries(parse());
    }

    /** Lettuce's part: reply bytes to stream messages (the RESP parser and {@link StreamReplyCodec}). */
    @Benchmark
    @OperationsPerInvocation(ENTRIES)
    public List<StreamMessage<String, String>> replyToMessages() {
        return parse();
    }

    /** The worker's part: stream messages to change entries ({@link ChangeEntry#fromFields}). */
    @Benchmark
    @OperationsPerInvocation(ENTRIES)
    public List<ChangeEntry> messagesToEntries() {
        return toEntries(messages);
    }

    private static void ascii(ByteArrayOutputStream out, String s) {
        out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static void bulk(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        ascii(out, "$" + b.length + "\r\n");
        out.writeBytes(b);
        ascii(out, "\r\n");
    }
}
