package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.connections.testing.PrivateRedis;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.codec.ExactJson;
import io.cistern.schema.codec.Operation;
import io.cistern.schema.codec.ValueCodec;
import io.cistern.schema.function.BufferLimits;
import io.cistern.schema.keys.KeyEncoding;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.keys.Partitioner;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.schema.registry.RedisRegistry;
import io.cistern.schema.registry.TableDef;
import io.cistern.schema.registry.TableRegistry;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Runs the examples of docs/protocol.md verbatim against a real Redis (a private one, since the examples use the
 * default prefix) and reads what they wrote back through the registry.
 */
class ProtocolDocIT {
    private static final Path DOC = Path.of("..", "docs", "protocol.md");
    private static final KeyLayout LAYOUT = KeyLayout.defaults();

    private static PrivateRedis redisServer;
    private static TestDatabase database;
    private static RedisClient client;
    private static StatefulRedisConnection<String, String> connection;
    private static RedisCommands<String, String> redis;
    private static PGSimpleDataSource dataSource;

    @BeforeAll
    static void start() {
        redisServer = PrivateRedis.start();
        database = TestDatabase.create("ProtocolDocIT");
        dataSource = new PGSimpleDataSource();
        dataSource.setURL(database.jdbcUrl());
        client = RedisClient.create(redisServer.url());
        connection = client.connect();
        redis = connection.sync();
    }

    @AfterAll
    static void stop() {
        connection.close();
        client.shutdown();
        redisServer.close();
        database.close();
    }

    @BeforeEach
    void initialise() {
        redis.flushall();
        // Back to the default limits: init keeps what the last one recorded, and one test here sets a backlog of 1.
        new Initializer(dataSource, redis).run(InitOptions.defaults(LAYOUT).withLimits(BufferLimits.DEFAULTS));
    }

    @Test
    void redisCliExample_writesADocumentThatReadsBackThroughTheRegistry() throws Exception {
        Result run = run(List.of("bash", "-c", example("bash")));

        assertThat(run.exitCode).as(run.output).isZero();
        assertThat(run.output).doesNotContain("CISTERN_");
        TableRegistry registry = new RedisRegistry(redis, LAYOUT).load();
        TableDef documents = registry.table("source_documents").orElseThrow();
        String key = "7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f";
        int partition = Partitioner.partitionOf(key, registry.partitions());
        assertThat(partition).as("the partition the doc names").isEqualTo(13);
        Map<String, String> hash = redis.hgetall(LAYOUT.record(partition, "source_documents", key));
        assertThat(hash).containsEntry("s", "put").containsEntry("v", "2");
        assertThat(decode(documents, "filename", hash)).isEqualTo("scan-0001.pdf");
        assertThat(decode(documents, "status", hash)).isEqualTo("processing");
        assertThat(decode(documents, "size_bytes", hash)).isEqualTo(9007199254740993L);
        assertThat(ExactJson.mapper().readTree((String) decode(documents, "metadata", hash)))
                .isEqualTo(ExactJson.mapper().readTree("{\"pages\":[1,2],\"lang\":\"de\"}"));
        List<ChangeEntry> entries = entries(partition);
        assertThat(entries).extracting(ChangeEntry::op).containsExactly(Operation.PUT, Operation.PATCH);
        assertThat(entries).extracting(ChangeEntry::version).containsExactly(1L, 2L);
    }

    @Test
    void pythonExample_writesADocumentAndItsEntityIntoOnePartition() throws Exception {
        Result run = run(List.of("/usr/bin/python3", "-c", example("python")));

        assertThat(run.exitCode).as(run.output).isZero();
        TableRegistry registry = new RedisRegistry(redis, LAYOUT).load();
        String doc = "9b2f7a40-5d6e-4c1b-8a3f-2e1d0c9b8a76";
        String entityKey = KeyEncoding.encode(List.of(doc, "5e7c3a10-8b2d-4f6e-9a1c-3d5b7f9e1a2c"));
        int partition = Partitioner.partitionOf(doc, registry.partitions());
        assertThat(run.output.lines().toList())
                .hasSize(3)
                .allSatisfy(line -> assertThat(line).startsWith("(" + partition + ", "));
        Map<String, String> document = redis.hgetall(LAYOUT.record(partition, "source_documents", doc));
        TableDef documents = registry.table("source_documents").orElseThrow();
        assertThat(decode(documents, "filename", document)).isEqualTo("invoice 7/2026.pdf");
        assertThat(decode(documents, "status", document)).isEqualTo("done");
        Map<String, String> entity = redis.hgetall(LAYOUT.record(partition, "entities", entityKey));
        TableDef entities = registry.table("entities").orElseThrow();
        assertThat(decode(entities, "confidence", entity)).isEqualTo(new BigDecimal("0.9731"));
        assertThat(decode(entities, "value", entity)).isEqualTo("DE89 3704 0044 0532 0130 00");
        assertThat(entries(partition))
                .extracting(ChangeEntry::table)
                .containsExactly("source_documents", "entities", "source_documents");
    }

    @Test
    void redisCliProducer_isRefusedUnderBackpressure_andNothingIsAppended() throws Exception {
        new Initializer(dataSource, redis)
                .run(InitOptions.defaults(LAYOUT).withLimits(new BufferLimits(1, 0, 1 << 20)));
        String put = example("bash").lines().limit(5).reduce("", (a, b) -> a + b + "\n");
        assertThat(run(List.of("bash", "-c", put)).exitCode).isZero();
        long before = redis.xlen(LAYOUT.stream(13));

        Result refused = run(List.of("bash", "-c", put));

        assertThat(refused.output).contains("CISTERN_BACKPRESSURE");
        assertThat(redis.xlen(LAYOUT.stream(13))).isEqualTo(before).isEqualTo(1);
    }

    private static Object decode(TableDef table, String column, Map<String, String> hash) {
        return ValueCodec.decode(table.column(column).orElseThrow(), hash.get("c:" + column));
    }

    private static List<ChangeEntry> entries(int partition) {
        List<ChangeEntry> out = new ArrayList<>();
        for (StreamMessage<String, String> m :
                redis.xrange(LAYOUT.stream(partition), io.lettuce.core.Range.create("-", "+"))) {
            out.add(ChangeEntry.fromFields(m.getId(), m.getBody()));
        }
        return out;
    }

    /** The one code block of the doc whose info string is "{language} cistern-example", verbatim. */
    private static String example(String language) throws IOException {
        String doc = Files.readString(DOC, StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("```" + language + " cistern-example\\n(.*?)```", Pattern.DOTALL)
                .matcher(doc);
        assertThat(m.find())
                .as("docs/protocol.md has a '%s cistern-example' block", language)
                .isTrue();
        return m.group(1);
    }

    private record Result(int exitCode, String output) {}

    private static Result run(List<String> command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("REDIS_URL", redisServer.url());
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), output);
    }
}
