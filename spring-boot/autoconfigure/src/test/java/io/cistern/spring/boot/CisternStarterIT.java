package io.cistern.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import io.cistern.connections.testing.TestServers;
import io.cistern.reader.CachedReader;
import io.cistern.reader.ReadResult;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.pools.DatabasePool;
import io.cistern.schema.pools.PoolRegistry;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.SyncOutcome;
import io.cistern.writer.WriteReceipt;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The starter in a Spring Boot application pointed at the shared test servers ({@code spring.data.redis.url}, {@code
 * spring.datasource.url}), isolated by its own key prefix and database: the beans come up on the application's Redis
 * client and DataSource, a write is synced by the embedded worker, and the reader sees it.
 */
@SpringBootTest(classes = CisternStarterIT.App.class)
@DirtiesContext
class CisternStarterIT {
    private static final TestRedis REDIS = TestRedis.create("CisternStarterIT");
    private static final TestDatabase DATABASE = TestDatabase.create("CisternStarterIT");

    static {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL(DATABASE.jdbcUrl());
        new Initializer(dataSource, REDIS.commands())
                .run(InitOptions.defaults(new KeyLayout(REDIS.prefix())).withPartitions(4));
    }

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry properties) {
        properties.add("spring.data.redis.url", TestServers::redisUrl);
        properties.add("spring.datasource.url", DATABASE::jdbcUrl);
        properties.add("cistern.key-prefix", REDIS::prefix);
        properties.add("cistern.sync.embedded.enabled", () -> "true");
        properties.add("cistern.sync.linger", () -> "5ms");
        properties.add("cistern.sync.lease-time", () -> "3s");
        properties.add("cistern.sync.renew-interval", () -> "500ms");
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
        /**
         * Drops the test's keys and database when the context closes: after the embedded worker has stopped (a
         * lifecycle stops before any bean is destroyed) and after Cistern's beans (registered later, destroyed first).
         */
        @Bean(destroyMethod = "close")
        AutoCloseable testServersCleanup() {
            return () -> {
                try {
                    REDIS.close();
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

    @Autowired
    MeterRegistry meters;

    @Autowired
    @Qualifier("cisternRedisHealthIndicator")
    HealthIndicator redisHealth;

    @Autowired
    @Qualifier("cisternBacklogHealthIndicator")
    HealthIndicator backlogHealth;

    @Autowired
    @Qualifier("cisternDatabaseHealthIndicator")
    HealthIndicator databaseHealth;

    @Test
    void beansOnTheApplicationsConnections_writeSyncAndRead() {
        // given the embedded worker owning the partitions
        await("embedded worker owns every partition")
                .atMost(Duration.ofSeconds(30))
                .until(() -> worker.ownedPartitions().size() == 4);
        assertThat(writer.registry().partitions()).isEqualTo(4);

        // when a job registers a document and waits for it to reach PostgreSQL
        UUID doc = UUID.randomUUID();
        WriteReceipt put = writer.put(
                "source_documents", RecordKey.of(doc), Map.of("filename", "scan-0001.pdf", "status", "registered"));
        SyncOutcome synced = writer.awaitSynced(put, Duration.ofSeconds(30));

        // then the row is in PostgreSQL at the write's version
        assertThat(synced.receipt()).isEqualTo(put);
        assertThat(jdbc.queryForMap(
                        "SELECT filename, status, cistern_version FROM source_documents WHERE document_uuid = ?", doc))
                .containsEntry("filename", "scan-0001.pdf")
                .containsEntry("status", "registered")
                .containsEntry("cistern_version", put.version());

        // and the reader sees a later patch at once, before it is synced
        WriteReceipt patch = writer.patch("source_documents", RecordKey.of(doc), Map.of("status", "processing"));
        ReadResult read = reader.get("source_documents", reader.key("source_documents", doc), patch.version());
        assertThat(read.found()).isTrue();
        assertThat(((ReadResult.Found) read).value("status")).isEqualTo("processing");
        assertThat(read.version()).isGreaterThanOrEqualTo(patch.version());

        // and the reader's, the writer's and the embedded worker's meters are in the application's registry
        assertThat(meters.getMeters())
                .anySatisfy(m -> assertThat(m.getId().getName()).startsWith("cistern.proxy"));
        // one put and one patch, each counted under its operation
        assertThat(meters.find("cistern.writer.writes").tag("table", "source_documents").counters().stream()
                        .mapToDouble(c -> c.count())
                        .sum())
                .isEqualTo(2.0);
        assertThat(meters.find("cistern.sync.apply").timer())
                .isNotNull()
                .satisfies(t -> assertThat(t.count()).isPositive());
    }

    @Test
    void theApplicationsPool_isAnnouncedOnceForDoctor_whichBothTheReaderAndTheWorkerUse() {
        DatabaseSettings target = DatabaseSettings.ofJdbcUrl(DATABASE.jdbcUrl());
        PoolRegistry pools = new PoolRegistry(REDIS.commands(), new KeyLayout(REDIS.prefix()));

        await("the application's pool announced")
                .atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(pools.live())
                        .singleElement()
                        .satisfies(a -> assertThat(a.pool()).hasValueSatisfying(p -> {
                            assertThat(p.component()).isEqualTo(ApplicationPoolAnnouncement.COMPONENT);
                            assertThat(p.maxSize())
                                    .as("HikariCP's default maximum pool size")
                                    .isEqualTo(10);
                            assertThat(p.database())
                                    .isEqualTo(DatabasePool.database(target.hosts(), target.database()));
                            assertThat(p.process())
                                    .startsWith(ProcessHandle.current().pid() + "@");
                        })));
    }

    @Test
    void healthContributors_reportRedisBacklogAndDatabase() {
        assertThat(redisHealth.health().getStatus()).isEqualTo(Status.UP);
        assertThat(redisHealth.health().getDetails()).containsEntry("prefix", REDIS.prefix());
        java.net.URI redis = java.net.URI.create(TestServers.redisUrl());
        assertThat(redisHealth.health().getDetails().get("redis").toString())
                .doesNotContain("@")
                .contains(redis.getHost() + ":" + (redis.getPort() < 0 ? 6379 : redis.getPort()));

        assertThat(backlogHealth.health().getStatus()).isEqualTo(Status.UP);
        assertThat(backlogHealth.health().getDetails())
                .containsEntry("partitions", 4)
                .containsKey("bufferedEntries");

        assertThat(databaseHealth.health().getStatus()).isEqualTo(Status.UP);
        assertThat(databaseHealth.health().getDetails()).containsEntry("partitions", 4L);
    }
}
