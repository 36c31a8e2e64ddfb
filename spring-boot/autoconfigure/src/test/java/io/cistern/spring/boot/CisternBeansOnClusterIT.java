package io.cistern.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.PrivateRedisCluster;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.reader.CachedReader;
import io.cistern.reader.ReadResult;
import io.cistern.reader.Tier;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.pools.PoolRegistry;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriteReceipt;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The starter's writer, embedded worker and reader beans in an application whose Redis is a Redis Cluster ({@code
 * spring.data.redis.cluster.nodes}: the JVM's private cluster of 3 masters), isolated by its own key prefix and
 * database: writes whose partitions fall on every master are drained by the embedded worker into PostgreSQL and read
 * back through the reader bean, whose local copy of a record is dropped when a later write reaches that record's
 * master (client tracking on every master); the application's pool is announced there for doctor.
 */
@SpringBootTest(classes = CisternBeansOnClusterIT.App.class)
@DirtiesContext
class CisternBeansOnClusterIT {
    private static final String PREFIX = PrivateRedisCluster.newPrefix("CisternBeansOnClusterIT");
    private static final KeyLayout LAYOUT = new KeyLayout(PREFIX);
    private static final TestDatabase DATABASE = TestDatabase.create("CisternBeansOnClusterIT");
    /** With redis-cli's even slot ranges 8 partitions fall on all 3 masters. */
    private static final int PARTITIONS = 8;

    static {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL(DATABASE.jdbcUrl());
        try (RedisDeployment cluster = RedisDeployment.open(
                RedisSettings.of(PrivateRedisCluster.shared().url()))) {
            new Initializer(dataSource, cluster.sync(), cluster::masterCommands)
                    .run(InitOptions.defaults(LAYOUT).withPartitions(PARTITIONS));
        }
    }

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry properties) {
        properties.add(
                "spring.data.redis.cluster.nodes",
                () -> PrivateRedisCluster.shared().masters().stream()
                        .map(n -> "127.0.0.1:" + n.port())
                        .collect(Collectors.joining(",")));
        properties.add("spring.datasource.url", DATABASE::jdbcUrl);
        properties.add("cistern.key-prefix", () -> PREFIX);
        properties.add("cistern.sync.embedded.enabled", () -> "true");
        properties.add("cistern.sync.linger", () -> "5ms");
        properties.add("cistern.sync.lease-time", () -> "3s");
        properties.add("cistern.sync.renew-interval", () -> "500ms");
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
        /** Drops the test's keys and database once the embedded worker and Cistern's beans are closed. */
        @Bean(destroyMethod = "close")
        AutoCloseable testServersCleanup() {
            return () -> {
                try {
                    PrivateRedisCluster.shared().deleteKeys(PREFIX);
                } finally {
                    DATABASE.close();
                }
            };
        }
    }

    @Autowired
    RecordWriter writer;

    @Autowired
    CachedReader reader;

    @Autowired
    EmbeddedSyncWorker worker;

    @Autowired
    JdbcTemplate jdbc;

    @Test
    void writesOnEveryMaster_areDrainedByTheEmbeddedWorker_andReadThroughTheReaderBean() {
        // given the embedded worker owning every partition, wherever its slot lives
        await("embedded worker owns every partition")
                .atMost(Duration.ofSeconds(30))
                .until(() -> worker.ownedPartitions().size() == PARTITIONS);

        // when documents whose partitions fall on each of the 3 masters are written through the writer bean
        List<UUID> docs = new ArrayList<>();
        List<WriteReceipt> receipts = new ArrayList<>();
        Set<Integer> masters = new HashSet<>();
        while (masters.size() < 3 || docs.size() < 12) {
            UUID doc = UUID.randomUUID();
            WriteReceipt put = writer.put(
                    "source_documents", RecordKey.of(doc), Map.of("filename", doc + ".pdf", "status", "registered"));
            docs.add(doc);
            receipts.add(put);
            masters.add(PrivateRedisCluster.shared()
                    .masterOfKey(LAYOUT.stream(put.partition()))
                    .port());
        }

        // then the embedded worker applies every one to PostgreSQL at its write's version
        for (int i = 0; i < docs.size(); i++) {
            assertThat(writer.awaitSynced(receipts.get(i), Duration.ofSeconds(30))
                            .receipt())
                    .isEqualTo(receipts.get(i));
            assertThat(jdbc.queryForObject(
                            "SELECT cistern_version FROM source_documents WHERE document_uuid = ?",
                            Long.class,
                            docs.get(i)))
                    .isEqualTo(receipts.get(i).version());
        }

        // and the reader bean answers them all in one batch spanning every master, each at its write's version
        List<String> keys =
                docs.stream().map(d -> reader.key("source_documents", d)).toList();
        List<ReadResult> batch = reader.getAll("source_documents", keys);
        for (int i = 0; i < docs.size(); i++) {
            assertThat(batch.get(i).found()).as(keys.get(i)).isTrue();
            assertThat(batch.get(i).version()).isEqualTo(receipts.get(i).version());
            assertThat(((ReadResult.Found) batch.get(i)).value("filename")).isEqualTo(docs.get(i) + ".pdf");
        }
    }

    @Test
    void theApplicationsPool_isAnnouncedForDoctor_onTheCluster() {
        try (RedisDeployment cluster = RedisDeployment.open(
                RedisSettings.of(PrivateRedisCluster.shared().url()))) {
            PoolRegistry pools = new PoolRegistry(cluster.sync(), LAYOUT);

            await("the application's pool announced")
                    .atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(pools.live())
                            .singleElement()
                            .satisfies(a -> assertThat(a.pool())
                                    .hasValueSatisfying(p -> assertThat(p.component())
                                            .isEqualTo(ApplicationPoolAnnouncement.COMPONENT))));
        }
    }

    @Test
    void aLaterWrite_dropsTheReaderBeansLocalCopy_onThatRecordsMaster() {
        // given a synced record on each master, read until the reader bean answers it from its local copy (the
        // worker marking it synced changes its hash, which drops a copy read before)
        Map<Integer, UUID> docByMaster = new java.util.HashMap<>();
        while (docByMaster.size() < 3) {
            UUID doc = UUID.randomUUID();
            WriteReceipt put = writer.put(
                    "source_documents", RecordKey.of(doc), Map.of("filename", "a.pdf", "status", "registered"));
            int master = PrivateRedisCluster.shared()
                    .masterOfKey(LAYOUT.stream(put.partition()))
                    .port();
            if (!docByMaster.containsKey(master)) {
                writer.awaitSynced(put, Duration.ofSeconds(30));
                docByMaster.put(master, doc);
            }
        }
        for (UUID doc : docByMaster.values()) {
            String key = reader.key("source_documents", doc);
            await("a local copy of " + key)
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> reader.get("source_documents", key).tier() == Tier.LOCAL);
        }

        // when each is patched through the writer bean
        Map<UUID, Long> patched = new java.util.HashMap<>();
        for (UUID doc : docByMaster.values()) {
            patched.put(
                    doc,
                    writer.patch("source_documents", RecordKey.of(doc), Map.of("status", "processing"))
                            .version());
        }

        // then the reader bean answers the patch without being asked for its version: the invalidation from that
        // record's master dropped the local copy (it would otherwise live for the 10-minute local TTL)
        for (UUID doc : docByMaster.values()) {
            String key = reader.key("source_documents", doc);
            await("the patch of " + key + " seen by a plain read")
                    .atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> {
                        ReadResult read = reader.get("source_documents", key);
                        assertThat(read.version()).isEqualTo(patched.get(doc));
                        assertThat(((ReadResult.Found) read).value("status")).isEqualTo("processing");
                    });
        }
    }
}
