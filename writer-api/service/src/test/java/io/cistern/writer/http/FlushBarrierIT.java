package io.cistern.writer.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.schema.keys.StreamEntryId;
import io.cistern.writer.DeadLetteredException;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.SyncOutcome;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;
import tools.jackson.databind.JsonNode;

/**
 * The flush barrier with a real sync worker on real Redis and PostgreSQL: {@link RecordWriter#awaitSynced} and the
 * HTTP form {@code ?wait=synced}. A document named "bad.pdf" without a size passes the writer's checks and is
 * dead-lettered by the worker: a CHECK constraint the writer does not judge (an OR of two columns; SQLSTATE 23514).
 */
@SpringBootTest(
        classes = {WriterApiApplication.class, FlushBarrierIT.Fixture.class},
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class FlushBarrierIT {
    private static final String DOCS = "source_documents";
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TestConfiguration(proxyBeanMethods = false)
    static class Fixture {
        @Bean(destroyMethod = "close")
        TestCistern testCistern() {
            TestCistern cistern = TestCistern.start("FlushBarrierIT", o -> o.withPartitions(2));
            cistern.execute("ALTER TABLE source_documents ADD CONSTRAINT no_bad_files"
                    + " CHECK (filename <> 'bad.pdf' OR size_bytes IS NOT NULL)");
            return cistern;
        }

        @Bean
        WriterSettings writerSettings(TestCistern cistern) {
            return cistern.writerSettings();
        }

        @Bean(destroyMethod = "close")
        RecordWriter recordWriter(WriterSettings settings) {
            return RecordWriter.connect(settings);
        }

        @Bean(destroyMethod = "close")
        RunningSyncWorker syncWorker(TestCistern cistern) {
            return new RunningSyncWorker(cistern.jdbcUrl(), cistern.layout(), cistern.redisClient());
        }
    }

    @Autowired
    TestCistern cistern;

    @Autowired
    RecordWriter writer;

    @LocalServerPort
    int port;

    private HttpTestClient http() {
        return HttpTestClient.onPort(port);
    }

    private String versionInPostgres(UUID id) {
        return cistern.scalar("SELECT cistern_version FROM source_documents WHERE document_uuid = '" + id + "'");
    }

    // ------------------------------------------------------------------------------------------------ Java API

    @Test
    void awaitSynced_completesOnceTheRowHoldsTheWrite() {
        UUID id = UUID.randomUUID();
        WriteReceipt receipt = writer.put(DOCS, RecordKey.of(id), Map.of("filename", "synced.pdf"));

        SyncOutcome outcome = writer.awaitSynced(receipt, WAIT);

        assertThat(outcome.receipt()).isEqualTo(receipt);
        assertThat(StreamEntryId.parse(outcome.appliedWatermark()))
                .isGreaterThanOrEqualTo(StreamEntryId.parse(receipt.entryId()));
        assertThat(versionInPostgres(id)).isEqualTo(Long.toString(receipt.version()));
        assertThat(cistern.scalar("SELECT filename FROM source_documents WHERE document_uuid = '" + id + "'"))
                .isEqualTo("synced.pdf");
    }

    @Test
    void awaitSynced_failsWithReasonAndSqlState_whenTheWorkerDeadLettersTheWrite() {
        UUID id = UUID.randomUUID();
        WriteReceipt receipt = writer.put(DOCS, RecordKey.of(id), Map.of("filename", "bad.pdf"));

        assertThatThrownBy(() -> writer.awaitSynced(receipt, WAIT))
                .isInstanceOfSatisfying(DeadLetteredException.class, e -> {
                    assertThat(e.code()).isEqualTo("DEAD_LETTERED");
                    assertThat(e.retryable()).isFalse();
                    assertThat(e.sqlState()).isEqualTo("23514");
                    assertThat(e.reason()).isNotBlank();
                    assertThat(e.receipt()).isEqualTo(receipt);
                    assertThat(e.getMessage())
                            .contains("SQLSTATE 23514", e.reason(), receipt.entryId(), e.deadLetterId());
                });
        assertThat(versionInPostgres(id)).isNull();
    }

    @Test
    void supersededWrite_isSynced_becauseTheRowHoldsANewerVersion() {
        UUID id = UUID.randomUUID();
        WriteReceipt first = writer.put(DOCS, RecordKey.of(id), Map.of("filename", "v1.pdf"));
        WriteReceipt second = writer.patch(DOCS, RecordKey.of(id), Map.of("status", "done"));

        writer.awaitSynced(first, WAIT);

        writer.awaitSynced(second, WAIT);
        assertThat(Long.parseLong(versionInPostgres(id))).isEqualTo(second.version());
    }

    @Test
    void manyConcurrentWaiters_allComplete() {
        List<WriteReceipt> receipts = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            receipts.add(writer.put(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", "many-" + i + ".pdf")));
        }

        List<CompletableFuture<SyncOutcome>> waits =
                receipts.stream().map(r -> writer.awaitSyncedAsync(r, WAIT)).toList();

        assertThat(CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new)))
                .succeedsWithin(WAIT.plusSeconds(5));
        assertThat(waits).allSatisfy(w -> assertThat(w).isCompleted());
    }

    @Test
    void zeroTimeout_checksOnce_andAnswersForAWriteAlreadySynced() {
        WriteReceipt receipt = writer.put(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", "z.pdf"));
        writer.awaitSynced(receipt, WAIT);

        SyncOutcome again = writer.awaitSynced(receipt, Duration.ZERO);

        assertThat(again.receipt()).isEqualTo(receipt);
    }

    @Test
    void negativeTimeout_isAProgrammingError() {
        WriteReceipt receipt = writer.put(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", "n.pdf"));

        assertThatThrownBy(() -> writer.awaitSyncedAsync(receipt, Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("timeout must not be negative");
    }

    // ------------------------------------------------------------------------------------------------ HTTP

    @Test
    void putWithWaitSynced_answers200WithTheReceipt_onceTheRowHoldsIt() {
        UUID id = UUID.randomUUID();

        HttpTestClient.Response r = http().put(
                        "/v1/tables/source_documents/records/" + id + "?wait=synced&timeout=20s",
                        "{\"filename\": \"http.pdf\"}");

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode body = r.json();
        assertThat(body.get("synced").booleanValue()).isTrue();
        assertThat(body.get("key").stringValue()).isEqualTo(id.toString());
        assertThat(body.get("appliedWatermark").stringValue()).matches("\\d+-\\d+");
        assertThat(versionInPostgres(id))
                .isEqualTo(Long.toString(body.get("version").longValue()));
    }

    @Test
    void waitSynced_neverAnswersSyncedForAWritePostgresDoesNotHold_whenTheMetaWasSetBack() throws Exception {
        // given a record synced at a version above 5
        UUID id = UUID.randomUUID();
        String path = "/v1/tables/source_documents/records/" + id;
        WriteReceipt last = null;
        for (int i = 0; i < 8; i++) {
            last = writer.put(DOCS, RecordKey.of(id), Map.of("filename", "synced.pdf"));
        }
        writer.awaitSynced(last, WAIT);
        long synced = Long.parseLong(versionInPostgres(id));
        assertThat(synced).isGreaterThan(5);
        int p = last.partition();
        String recordHash = cistern.layout().record(p, DOCS, last.key());

        // when the partition's meta is set back below it on the live server, and a write waits for its sync
        try (var c = cistern.redisClient().connect()) {
            c.sync().hset(cistern.layout().meta(p), Map.of("seq", "1", "floor", "1"));
        }
        CompletableFuture<HttpTestClient.Response> lostOrSynced = CompletableFuture.supplyAsync(
                () -> http().put(path + "?wait=synced&timeout=20s", "{\"filename\": \"set-back.pdf\"}"));
        try (var c = cistern.redisClient().connect()) {
            org.awaitility.Awaitility.await()
                    .atMost(WAIT)
                    .until(() -> "set-back.pdf".equals(stripQuotes(c.sync().hget(recordHash, "c:filename"))));
            // the worker notices the shorter history (at its next read or lease renewal) and raises the floor
            org.awaitility.Awaitility.await()
                    .atMost(WAIT)
                    .until(() -> Long.parseLong(c.sync().hget(cistern.layout().meta(p), "floor")) >= synced);
        }
        // and a later write moves the applied watermark past it
        HttpTestClient.Response later = http().put(path + "?wait=synced&timeout=20s", "{\"filename\": \"later.pdf\"}");

        // then the later write is synced above the row, and the set-back one is never said to be synced unless
        // PostgreSQL holds it
        assertThat(later.status()).as(later.body()).isEqualTo(200);
        assertThat(later.json().get("version").longValue()).isGreaterThan(synced);
        HttpTestClient.Response r = lostOrSynced.get(30, java.util.concurrent.TimeUnit.SECONDS);
        JsonNode body = r.json();
        if (body.get("synced").booleanValue()) {
            assertThat(body.get("version").longValue()).as(r.body()).isGreaterThan(synced);
        } else {
            assertThat(r.status()).as(r.body()).isEqualTo(422);
            assertThat(body.get("error").stringValue()).isEqualTo("DEAD_LETTERED");
            assertThat(r.body()).contains("shorter Redis history");
        }
        assertThat(cistern.scalar("SELECT filename FROM source_documents WHERE document_uuid = '" + id + "'"))
                .isEqualTo("later.pdf");
    }

    private static String stripQuotes(String json) {
        return json == null ? null : json.replace("\"", "");
    }

    @Test
    void deleteWithWaitSynced_answers200_onceTheRowIsGone() {
        UUID id = UUID.randomUUID();
        String path = "/v1/tables/source_documents/records/" + id;
        assertThat(http().put(path + "?wait=synced", "{\"filename\": \"d.pdf\"}")
                        .status())
                .isEqualTo(200);

        HttpTestClient.Response r = http().delete(path + "?wait=synced&timeout=PT20S");

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(versionInPostgres(id)).isNull();
    }

    @Test
    void putWithWaitSynced_answers422NamingTheReason_whenDeadLettered() {
        UUID id = UUID.randomUUID();

        HttpTestClient.Response r = http().put(
                        "/v1/tables/source_documents/records/" + id + "?wait=synced&timeout=20s",
                        "{\"filename\": \"bad.pdf\"}");

        assertThat(r.status()).as(r.body()).isEqualTo(422);
        JsonNode body = r.json();
        assertThat(body.get("error").stringValue()).isEqualTo("DEAD_LETTERED");
        assertThat(body.get("synced").booleanValue()).isFalse();
        assertThat(body.get("sqlstate").stringValue()).isEqualTo("23514");
        assertThat(body.get("reason").stringValue()).isNotBlank();
        assertThat(body.get("message").stringValue())
                .contains(body.get("reason").stringValue());
        assertThat(body.get("entryId").stringValue()).matches("\\d+-\\d+");
    }

    @Test
    void batchWithWaitSynced_answers200_whenEveryWriteIsSynced() {
        String batch = """
                {"writes": [
                  {"op": "put", "key": "%s", "columns": {"filename": "b1.pdf"}},
                  {"op": "put", "key": "%s", "columns": {"filename": "b2.pdf"}}
                ]}""".formatted(UUID.randomUUID(), UUID.randomUUID());

        HttpTestClient.Response r =
                http().post("/v1/tables/source_documents/records:batch?wait=synced&timeout=20s", batch);

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("synced").intValue()).isEqualTo(2);
        assertThat(r.json().get("results").get(0).get("synced").booleanValue()).isTrue();
        assertThat(r.json().get("results").get(1).get("synced").booleanValue()).isTrue();
    }

    @Test
    void batchWithWaitSynced_answers422_whenOneWriteIsDeadLettered_andReportsEachWrite() {
        String batch = """
                {"writes": [
                  {"op": "put", "key": "%s", "columns": {"filename": "ok.pdf"}},
                  {"op": "put", "key": "%s", "columns": {"filename": "bad.pdf"}}
                ]}""".formatted(UUID.randomUUID(), UUID.randomUUID());

        HttpTestClient.Response r =
                http().post("/v1/tables/source_documents/records:batch?wait=synced&timeout=20s", batch);

        assertThat(r.status()).as(r.body()).isEqualTo(422);
        JsonNode results = r.json().get("results");
        assertThat(results.get(0).get("synced").booleanValue()).isTrue();
        assertThat(results.get(1).get("synced").booleanValue()).isFalse();
        assertThat(results.get(1).get("error").stringValue()).isEqualTo("DEAD_LETTERED");
        assertThat(results.get(1).get("sqlstate").stringValue()).isEqualTo("23514");
    }

    @Test
    void putWithoutWait_staysAccepted202() {
        HttpTestClient.Response r =
                http().put("/v1/tables/source_documents/records/" + UUID.randomUUID(), "{\"filename\": \"a.pdf\"}");

        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.json().has("synced")).isFalse();
    }

    @Test
    void badWaitParameters_areRefusedWith400NamingTheParameter_andWriteNothing() {
        long before = streamEntries();
        Map<String, String> refusals = Map.of(
                "?wait=synced&timeout=soon", "timeout",
                "?wait=synced&timeout=5", "timeout",
                "?wait=synced&timeout=-1s", "timeout",
                "?wait=synced&timeout=61s", "timeout",
                "?wait=synced&timeout=PT2M", "timeout",
                "?timeout=5s", "timeout",
                "?wait=applied", "wait");

        refusals.forEach((query, parameter) -> {
            HttpTestClient.Response r = http().put(
                            "/v1/tables/source_documents/records/" + UUID.randomUUID() + query,
                            "{\"filename\": \"a.pdf\"}");
            assertThat(r.status()).as(query + " -> " + r.body()).isEqualTo(400);
            assertThat(r.json().get("field").stringValue()).as(query).isEqualTo(parameter);
            assertThat(r.json().get("message").stringValue()).as(query).contains("'" + parameter + "'");
        });
        HttpTestClient.Response batch = http().post(
                        "/v1/tables/source_documents/records:batch?wait=synced&timeout=1h",
                        "{\"writes\": [{\"op\": \"put\", \"key\": \"" + UUID.randomUUID()
                                + "\", \"columns\": {\"filename\": \"a.pdf\"}}]}");
        assertThat(batch.status()).as(batch.body()).isEqualTo(400);
        assertThat(streamEntries()).isEqualTo(before);
    }

    private long streamEntries() {
        long total = 0;
        for (int p = 0; p < 2; p++) {
            total += cistern.entries(p).size();
        }
        return total;
    }
}
