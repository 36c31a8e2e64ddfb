package io.cistern.writer.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.connections.testing.PrivatePostgres;
import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.SyncOutcome;
import io.cistern.writer.SyncTimeoutException;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;
import tools.jackson.databind.JsonNode;

/**
 * The flush barrier while PostgreSQL is down: a private PostgreSQL that the test stops, a real sync worker pointed at
 * it. {@code awaitSynced} and {@code ?wait=synced} time out cleanly, naming the watermark; once the database is back,
 * the same receipts are synced.
 */
@SpringBootTest(
        classes = {WriterApiApplication.class, FlushBarrierDatabaseDownIT.Fixture.class},
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class FlushBarrierDatabaseDownIT {
    private static final String DOCS = "source_documents";

    /** A private PostgreSQL and a prefix on the shared Redis, initialised; a worker runs against them. */
    static final class Servers implements AutoCloseable {
        final PrivatePostgres postgres = PrivatePostgres.start();
        final TestRedis redis = TestRedis.create("FlushBarrierDatabaseDownIT");
        final RunningSyncWorker worker;

        Servers() {
            postgres.execute("CREATE DATABASE cistern");
            PGSimpleDataSource dataSource = new PGSimpleDataSource();
            dataSource.setURL(postgres.jdbcUrl("cistern") + "?user=postgres");
            KeyLayout layout = new KeyLayout(redis.prefix());
            new Initializer(dataSource, redis.commands())
                    .run(InitOptions.defaults(layout).withPartitions(1));
            worker = new RunningSyncWorker(postgres.jdbcUrl("cistern"), layout, redis.client());
        }

        @Override
        public void close() {
            try {
                worker.close();
                redis.close();
            } finally {
                postgres.close();
            }
        }
    }

    @TestConfiguration(proxyBeanMethods = false)
    static class Fixture {
        @Bean(destroyMethod = "close")
        Servers servers() {
            return new Servers();
        }

        @Bean
        WriterSettings writerSettings(Servers servers) {
            return WriterSettings.of(servers.redis.url())
                    .mutate()
                    .prefix(servers.redis.prefix())
                    .build();
        }

        @Bean(destroyMethod = "close")
        RecordWriter recordWriter(WriterSettings settings) {
            return RecordWriter.connect(settings);
        }
    }

    @Autowired
    Servers servers;

    @Autowired
    RecordWriter writer;

    @LocalServerPort
    int port;

    @Test
    void whilePostgresIsDown_waitsTimeOutNamingTheWatermark_andSucceedOnceItIsBack() {
        // given a partition with a published watermark, then PostgreSQL stopped
        SyncOutcome before = writer.awaitSynced(
                writer.put(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", "before.pdf")),
                Duration.ofSeconds(20));
        servers.postgres.stop();
        try {
            // when a write is awaited through the Java API
            WriteReceipt javaWrite = writer.put(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", "j.pdf"));
            long start = System.nanoTime();
            assertThatThrownBy(() -> writer.awaitSynced(javaWrite, Duration.ofMillis(800)))
                    .isInstanceOfSatisfying(SyncTimeoutException.class, e -> {
                        assertThat(e.code()).isEqualTo("SYNC_TIMEOUT");
                        assertThat(e.retryable()).isTrue();
                        assertThat(e.appliedWatermark()).contains(before.appliedWatermark());
                        assertThat(e.getMessage())
                                .contains("not synced within", before.appliedWatermark(), javaWrite.entryId());
                    });
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .isBetween(Duration.ofMillis(800), Duration.ofSeconds(3));

            // and through HTTP
            UUID httpKey = UUID.randomUUID();
            HttpTestClient.Response r = HttpTestClient.onPort(port)
                    .put(
                            "/v1/tables/source_documents/records/" + httpKey + "?wait=synced&timeout=800ms",
                            "{\"filename\": \"h.pdf\"}");

            // then both time out, and the HTTP answer still carries the receipt of the stored write
            assertThat(r.status()).as(r.body()).isEqualTo(504);
            JsonNode body = r.json();
            assertThat(body.get("error").stringValue()).isEqualTo("SYNC_TIMEOUT");
            assertThat(body.get("synced").booleanValue()).isFalse();
            assertThat(body.get("appliedWatermark").stringValue()).isEqualTo(before.appliedWatermark());
            assertThat(body.get("entryId").stringValue()).matches("\\d+-\\d+");
            WriteReceipt httpWrite = new WriteReceipt(
                    DOCS,
                    httpKey.toString(),
                    javaWrite.op(),
                    body.get("partition").intValue(),
                    body.get("version").longValue(),
                    body.get("entryId").stringValue());

            // and once PostgreSQL is back, the same receipts are synced
            servers.postgres.startAgain();
            assertThat(writer.awaitSynced(javaWrite, Duration.ofSeconds(30)).receipt())
                    .isEqualTo(javaWrite);
            assertThat(writer.awaitSynced(httpWrite, Duration.ofSeconds(30)).receipt())
                    .isEqualTo(httpWrite);
        } finally {
            if (!servers.postgres.isReady()) {
                servers.postgres.startAgain();
            }
        }
    }
}
