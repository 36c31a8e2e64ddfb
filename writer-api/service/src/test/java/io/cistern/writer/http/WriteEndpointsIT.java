package io.cistern.writer.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.schema.function.BufferLimits;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriterSettings;
import io.lettuce.core.StreamMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;
import tools.jackson.databind.JsonNode;

/** The write endpoints against real Redis and PostgreSQL: every status, and nothing in Redis after a refusal. */
@SpringBootTest(
        classes = {WriterApiApplication.class, WriteEndpointsIT.Fixture.class},
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "cistern.writer.max-body-bytes=65536")
@DirtiesContext
class WriteEndpointsIT {
    private static final int MAX_VALUE_BYTES = 1024;
    /** The writer's batch limit here (CISTERN_WRITER_MAX_BATCH), small enough to post one over it cheaply. */
    private static final int MAX_BATCH = 50;

    @TestConfiguration(proxyBeanMethods = false)
    static class Fixture {
        @Bean(destroyMethod = "close")
        TestCistern testCistern() {
            return TestCistern.start(
                    "WriteEndpointsIT",
                    o -> o.withLimits(new BufferLimits(1_000_000, 0, MAX_VALUE_BYTES))
                            .withRegister(Map.of("labels", "", "exact_values", "")),
                    "CREATE TABLE labels (doc text, label text, note text, PRIMARY KEY (doc, label))",
                    "CREATE TABLE exact_values (id bigint PRIMARY KEY, big bigint, amount numeric(40, 10))");
        }

        @Bean
        WriterSettings writerSettings(TestCistern cistern) {
            return cistern.writerSettings().mutate().maxBatch(MAX_BATCH).build();
        }

        @Bean(destroyMethod = "close")
        RecordWriter recordWriter(WriterSettings settings) {
            return RecordWriter.connect(settings);
        }

        @Bean
        RequestThreadProbe requestThreadProbe() {
            return new RequestThreadProbe();
        }
    }

    /** Answers whether the request ran on a virtual thread: the server's request threads, seen from a handler. */
    @org.springframework.web.bind.annotation.RestController
    static class RequestThreadProbe {
        @org.springframework.web.bind.annotation.GetMapping("/test/request-thread")
        String thread() {
            return Thread.currentThread().isVirtual() ? "virtual" : "platform";
        }
    }

    @Autowired
    TestCistern cistern;

    @LocalServerPort
    int port;

    private HttpTestClient http() {
        return HttpTestClient.onPort(port);
    }

    private static String doc(UUID id) {
        return "/v1/tables/source_documents/records/" + id;
    }

    // ------------------------------------------------------------------------------------------------ accepted

    @Test
    void putOfValidRecord_isAcceptedWithReceipt_andStoredInRedis() {
        UUID id = UUID.randomUUID();

        HttpTestClient.Response r = http().put(doc(id), "{\"filename\": \"a.pdf\", \"size_bytes\": 2048}");

        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode receipt = r.json();
        assertThat(receipt.get("table").stringValue()).isEqualTo("source_documents");
        assertThat(receipt.get("key").stringValue()).isEqualTo(id.toString());
        assertThat(receipt.get("op").stringValue()).isEqualTo("put");
        assertThat(receipt.get("partition").intValue()).isBetween(0, TestCistern.PARTITIONS - 1);
        assertThat(receipt.get("version").longValue()).isPositive();
        assertThat(receipt.get("entryId").stringValue()).matches("\\d+-\\d+");
        Map<String, String> record = cistern.record("source_documents", id.toString());
        assertThat(record)
                .containsEntry("c:filename", "\"a.pdf\"")
                .containsEntry("c:size_bytes", "2048")
                .containsEntry("v", Long.toString(receipt.get("version").longValue()));
        assertThat(cistern.entries(receipt.get("partition").intValue()))
                .extracting(StreamMessage::getId)
                .contains(receipt.get("entryId").stringValue());
    }

    @Test
    void patchThenDelete_ofExistingRecord_areAcceptedWithIncreasingVersions() {
        UUID id = UUID.randomUUID();
        long put = http().put(doc(id), "{\"filename\": \"a.pdf\"}")
                .json()
                .get("version")
                .longValue();

        HttpTestClient.Response patch = http().patch(doc(id), "{\"status\": \"processing\"}");
        HttpTestClient.Response delete = http().delete(doc(id));

        assertThat(patch.status()).as(patch.body()).isEqualTo(202);
        assertThat(patch.json().get("op").stringValue()).isEqualTo("patch");
        assertThat(patch.json().get("version").longValue()).isGreaterThan(put);
        assertThat(delete.status()).as(delete.body()).isEqualTo(202);
        assertThat(delete.json().get("op").stringValue()).isEqualTo("delete");
        assertThat(delete.json().get("version").longValue())
                .isGreaterThan(patch.json().get("version").longValue());
        assertThat(cistern.record("source_documents", id.toString())).containsEntry("s", "deleted");
    }

    @Test
    void compositeKeyWithEscapedCommaAndSlash_keepsEachComponentWhole() {
        // Two components: "a,b" and "x/y z". Decoded by the container, the comma would make it three.
        String key = "a%2Cb,x%2Fy%20z";

        HttpTestClient.Response r = http().put("/v1/tables/labels/records/" + key, "{\"note\": \"n\"}");

        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.json().get("key").stringValue()).isEqualTo(key);
        assertThat(cistern.record("labels", key)).containsEntry("c:note", "\"n\"");
        StreamMessage<String, String> entry =
                cistern.entries(r.json().get("partition").intValue()).getLast();
        assertThat(entry.getBody()).containsEntry("k", key).containsEntry("t", "labels");
    }

    @Test
    void bigintAbove2pow53AndThirtyDigitNumeric_surviveHttpExactly() {
        String big = "9007199254740993"; // 2^53 + 1: a double would make it ...992
        String amount = "12345678901234567890.1234567890"; // 30 significant digits, trailing zero kept

        HttpTestClient.Response r =
                http().put("/v1/tables/exact_values/records/7", "{\"big\": " + big + ", \"amount\": " + amount + "}");

        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(cistern.record("exact_values", "7"))
                .containsEntry("c:big", big)
                .containsEntry("c:amount", amount);
        StreamMessage<String, String> entry =
                cistern.entries(r.json().get("partition").intValue()).getLast();
        assertThat(entry.getBody()).containsEntry("c:big", big).containsEntry("c:amount", amount);
    }

    // ------------------------------------------------------------------------------------------------ refused

    @Test
    void malformedJson_isRefusedWith400_andNothingReachesRedis() {
        UUID id = UUID.randomUUID();
        long before = cistern.streamEntries();

        HttpTestClient.Response r = http().put(doc(id), "{\"filename\": ");

        assertRefused(r, 400, "MALFORMED_JSON", "body");
        assertNothingWritten(before, "source_documents", id.toString());
    }

    @Test
    void bodyThatIsNotAnObject_isRefusedWith400() {
        UUID id = UUID.randomUUID();
        long before = cistern.streamEntries();

        HttpTestClient.Response r = http().put(doc(id), "[1, 2]");

        assertRefused(r, 400, "NOT_AN_OBJECT", "body");
        assertNothingWritten(before, "source_documents", id.toString());
    }

    @Test
    void unknownTable_isRefusedWith404NamingTheTable() {
        long before = cistern.streamEntries();

        HttpTestClient.Response r = http().put("/v1/tables/no_such_table/records/1", "{\"a\": 1}");

        assertRefused(r, 404, "UNKNOWN_TABLE", "table");
        assertThat(r.json().get("table").stringValue()).isEqualTo("no_such_table");
        assertThat(cistern.streamEntries()).isEqualTo(before);
    }

    @Test
    void unknownColumn_isRefusedWith422NamingTheColumn() {
        UUID id = UUID.randomUUID();
        long before = cistern.streamEntries();

        HttpTestClient.Response r = http().put(doc(id), "{\"filename\": \"a.pdf\", \"colour\": \"red\"}");

        assertRefused(r, 422, "UNKNOWN_COLUMN", "colour");
        assertThat(r.json().get("table").stringValue()).isEqualTo("source_documents");
        assertNothingWritten(before, "source_documents", id.toString());
    }

    @Test
    void misspeltTableOrColumn_isRefusedSuggestingTheRegisteredName() {
        UUID id = UUID.randomUUID();

        HttpTestClient.Response table = http().put("/v1/tables/source_document/records/" + id, "{\"filename\": \"a\"}");
        HttpTestClient.Response column = http().put(doc(id), "{\"filname\": \"a.pdf\"}");

        assertRefused(table, 404, "UNKNOWN_TABLE", "table");
        assertThat(table.json().get("message").stringValue()).contains("did you mean 'source_documents'?");
        assertRefused(column, 422, "UNKNOWN_COLUMN", "filname");
        assertThat(column.json().get("message").stringValue()).contains("did you mean 'filename'?");
    }

    @Test
    void wrongType_isRefusedWith422NamingTheColumn() {
        UUID id = UUID.randomUUID();
        long before = cistern.streamEntries();

        HttpTestClient.Response r = http().put(doc(id), "{\"filename\": \"a.pdf\", \"size_bytes\": \"lots\"}");

        assertRefused(r, 422, "WRONG_TYPE", "size_bytes");
        assertNothingWritten(before, "source_documents", id.toString());
    }

    @Test
    void valueTheTablesCheckRefuses_isRefusedWith422NamingColumnConstraintAndAllowedValues() {
        UUID id = UUID.randomUUID();
        long before = cistern.streamEntries();

        HttpTestClient.Response r = http().put(doc(id), "{\"filename\": \"a.pdf\", \"status\": \"lost\"}");

        assertRefused(r, 422, "CHECK_VIOLATION", "status");
        assertThat(r.json().get("message").stringValue())
                .contains(
                        "'lost'",
                        "source_documents_status_check",
                        "status IN ('registered', 'processing', 'done'," + " 'failed')");
        assertNothingWritten(before, "source_documents", id.toString());
        assertThat(http().put(doc(id), "{\"filename\": \"a.pdf\", \"status\": \"done\"}")
                        .status())
                .isEqualTo(202);
    }

    @Test
    void putWithoutNotNullColumn_isRefusedWith422NamingTheColumn() {
        UUID id = UUID.randomUUID();
        long before = cistern.streamEntries();

        HttpTestClient.Response r = http().put(doc(id), "{\"size_bytes\": 1}");

        assertRefused(r, 422, "NOT_NULLABLE", "filename");
        assertNothingWritten(before, "source_documents", id.toString());
    }

    @Test
    void emptyPatch_isRefusedWith422() {
        UUID id = UUID.randomUUID();
        long before = cistern.streamEntries();

        HttpTestClient.Response r = http().patch(doc(id), "{}");

        assertRefused(r, 422, "EMPTY_PATCH", "columns");
        assertNothingWritten(before, "source_documents", id.toString());
    }

    @Test
    void keyMissingAComponent_isRefusedWith422NamingTheMissingKeyColumn() {
        long before = cistern.streamEntries();

        HttpTestClient.Response r =
                http().put("/v1/tables/entities/records/" + UUID.randomUUID(), "{\"entity_type\": \"person\"}");

        assertRefused(r, 422, "MISSING_KEY", "entity_uuid");
        assertThat(cistern.streamEntries()).isEqualTo(before);
    }

    @Test
    void keyWithTooManyComponents_isRefusedWith422NamingTheKey() {
        long before = cistern.streamEntries();

        HttpTestClient.Response r = http().put(
                        "/v1/tables/source_documents/records/" + UUID.randomUUID() + "," + UUID.randomUUID(),
                        "{\"filename\": \"a.pdf\"}");

        assertRefused(r, 422, "MALFORMED_KEY", "key");
        assertThat(cistern.streamEntries()).isEqualTo(before);
    }

    @Test
    void keyNotInCanonicalEncoding_isRefusedWith422NamingTheKey() {
        long before = cistern.streamEntries();

        // Lower-case hex is not canonical: one key must have exactly one encoding.
        HttpTestClient.Response r = http().put("/v1/tables/labels/records/a%2cb,c", "{\"note\": \"n\"}");

        assertRefused(r, 422, "MALFORMED_KEY", "key");
        assertThat(cistern.streamEntries()).isEqualTo(before);
        assertThat(cistern.recordKeys()).noneMatch(k -> k.contains(":r:labels:a%2cb"));
    }

    @Test
    void valueOverTheLimit_isRefusedWith413NamingTheColumn() {
        UUID id = UUID.randomUUID();
        long before = cistern.streamEntries();

        HttpTestClient.Response r = http().put(doc(id), "{\"filename\": \"" + "x".repeat(MAX_VALUE_BYTES + 1) + "\"}");

        assertRefused(r, 413, "VALUE_TOO_LARGE", "filename");
        assertNothingWritten(before, "source_documents", id.toString());
    }

    @Test
    void bodyOverTheConfiguredLimit_isRefusedWith413() {
        UUID id = UUID.randomUUID();
        long before = cistern.streamEntries();

        HttpTestClient.Response r = http().put(doc(id), "{\"filename\": \"" + "x".repeat(70_000) + "\"}");

        assertRefused(r, 413, "BODY_TOO_LARGE", "body");
        assertThat(r.json().get("message").stringValue()).contains("65536");
        assertNothingWritten(before, "source_documents", id.toString());
    }

    @Test
    void patchOfDeletedRecord_isRefusedWith409_andAddsNoEntry() {
        UUID id = UUID.randomUUID();
        assertThat(http().put(doc(id), "{\"filename\": \"a.pdf\"}").status()).isEqualTo(202);
        assertThat(http().delete(doc(id)).status()).isEqualTo(202);
        long before = cistern.streamEntries();

        HttpTestClient.Response r = http().patch(doc(id), "{\"status\": \"done\"}");

        assertRefused(r, 409, "RECORD_DELETED", "key");
        assertThat(cistern.streamEntries()).isEqualTo(before);
        assertThat(cistern.record("source_documents", id.toString())).containsEntry("s", "deleted");
    }

    // ------------------------------------------------------------------------------------------------ batch

    @Test
    void batchOfValidWrites_isAcceptedWithOneReceiptPerWrite() {
        UUID docId = UUID.randomUUID();
        UUID entityId = UUID.randomUUID();
        long before = cistern.streamEntries();
        String body = """
                {"writes": [
                  {"op": "put", "key": "%1$s", "columns": {"filename": "b.pdf", "size_bytes": 9007199254740993}},
                  {"op": "patch", "key": "%1$s", "columns": {"status": "processing"}},
                  {"op": "delete", "key": "%1$s"}
                ]}""".formatted(docId);

        HttpTestClient.Response r = http().post("/v1/tables/source_documents/records:batch", body);
        HttpTestClient.Response entity =
                http().post("/v1/tables/entities/records:batch", """
                {"writes": [{"op": "put", "key": "%s,%s", "columns": {"entity_type": "person", "confidence": 0.9500}}]}""".formatted(docId, entityId));

        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.json().get("accepted").intValue()).isEqualTo(3);
        assertThat(r.json().get("failed").intValue()).isZero();
        List<JsonNode> results = r.json().get("results").valueStream().toList();
        assertThat(results).extracting(n -> n.get("op").stringValue()).containsExactly("put", "patch", "delete");
        assertThat(results).extracting(n -> n.get("version").longValue()).isSorted();
        assertThat(entity.status()).as(entity.body()).isEqualTo(202);
        assertThat(cistern.streamEntries()).isEqualTo(before + 4);
        assertThat(cistern.record("entities", docId + "," + entityId)).containsEntry("c:confidence", "0.9500");
    }

    @Test
    void batchWithOneInvalidWrite_isRefusedWhole_namingIndexAndField() {
        UUID first = UUID.randomUUID();
        UUID second = UUID.randomUUID();
        long before = cistern.streamEntries();
        String body = """
                {"writes": [
                  {"op": "put", "key": "%s", "columns": {"filename": "ok.pdf"}},
                  {"op": "put", "key": "%s", "columns": {"filename": "bad.pdf", "pages": 3}}
                ]}""".formatted(first, second);

        HttpTestClient.Response r = http().post("/v1/tables/source_documents/records:batch", body);

        assertRefused(r, 422, "UNKNOWN_COLUMN", "pages");
        assertThat(r.json().get("index").intValue()).isEqualTo(1);
        assertThat(r.json().get("message").stringValue()).contains("write 1 of the batch");
        assertNothingWritten(before, "source_documents", first.toString());
    }

    @Test
    void batchOverTheMaximumWrites_isRefusedWith413NamingTheLimit_beforeAnythingIsWritten() {
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i <= MAX_BATCH; i++) {
            ids.add(UUID.randomUUID());
        }
        long before = cistern.streamEntries();

        HttpTestClient.Response over = http().post("/v1/tables/source_documents/records:batch", batchOfPuts(ids));

        assertRefused(over, 413, "BATCH_TOO_LARGE", "writes");
        assertThat(over.json().get("message").stringValue())
                .contains(Integer.toString(MAX_BATCH + 1), Integer.toString(MAX_BATCH), "CISTERN_WRITER_MAX_BATCH");
        assertThat(cistern.streamEntries()).isEqualTo(before);
        ids.forEach(id ->
                assertThat(cistern.record("source_documents", id.toString())).isEmpty());

        HttpTestClient.Response atTheLimit =
                http().post("/v1/tables/source_documents/records:batch", batchOfPuts(ids.subList(0, MAX_BATCH)));

        assertThat(atTheLimit.status()).as(atTheLimit.body()).isEqualTo(202);
        assertThat(cistern.streamEntries()).isEqualTo(before + MAX_BATCH);
    }

    private static String batchOfPuts(List<UUID> ids) {
        StringBuilder body = new StringBuilder("{\"writes\": [");
        for (int i = 0; i < ids.size(); i++) {
            body.append(i == 0 ? "" : ",")
                    .append("{\"op\": \"put\", \"key\": \"")
                    .append(ids.get(i))
                    .append("\", \"columns\": {\"filename\": \"f")
                    .append(i)
                    .append(".pdf\"}}");
        }
        return body.append("]}").toString();
    }

    @Test
    void batchWithMalformedKey_isRefusedWhole_namingIndexAndKey() {
        UUID first = UUID.randomUUID();
        long before = cistern.streamEntries();
        String body = """
                {"writes": [
                  {"op": "put", "key": "%s", "columns": {"filename": "ok.pdf"}},
                  {"op": "delete", "key": "%s"},
                  {"op": "delete", "key": "has space"}
                ]}""".formatted(first, UUID.randomUUID());

        HttpTestClient.Response r = http().post("/v1/tables/source_documents/records:batch", body);

        assertRefused(r, 422, "MALFORMED_KEY", "key");
        assertThat(r.json().get("index").intValue()).isEqualTo(2);
        assertNothingWritten(before, "source_documents", first.toString());
    }

    @Test
    void batchWithUnknownOperation_isRefusedWith422NamingIndexAndOp() {
        long before = cistern.streamEntries();

        HttpTestClient.Response r = http().post(
                        "/v1/tables/source_documents/records:batch",
                        "{\"writes\": [{\"op\": \"upsert\", \"key\": \"%s\"}]}".formatted(UUID.randomUUID()));

        assertRefused(r, 422, "UNKNOWN_OPERATION", "op");
        assertThat(r.json().get("index").intValue()).isZero();
        assertThat(cistern.streamEntries()).isEqualTo(before);
    }

    // ------------------------------------------------------------------------------------------------ operations

    @Test
    void prometheusEndpoint_countsRequestsByRegisteredTableOpAndOutcome() {
        http().put(doc(UUID.randomUUID()), "{\"filename\": \"m.pdf\"}");
        http().put("/v1/tables/made_up_table/records/1", "{\"a\": 1}");

        HttpTestClient.Response r = http().get("/actuator/prometheus");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body())
                .containsPattern("cistern_writer_requests_total\\{[^}]*op=\"put\",outcome=\"accepted\","
                        + "table=\"source_documents\"} [1-9]")
                .containsPattern("cistern_writer_requests_total\\{[^}]*op=\"put\",outcome=\"UNKNOWN_TABLE\","
                        + "table=\"unknown\"} [1-9]")
                .doesNotContain("made_up_table");
    }

    @Test
    void requests_runOnVirtualThreads_andAreTimedByNoHttpServerRequestsObservation() {
        HttpTestClient.Response accepted = http().put(doc(UUID.randomUUID()), "{\"filename\": \"v.pdf\"}");

        assertThat(accepted.status()).isEqualTo(202);
        // Written without Spring's converters: the headers are the controller's own.
        assertThat(accepted.header("Content-Type")).startsWith("application/json");
        assertThat(accepted.header("Content-Length"))
                .isEqualTo(Integer.toString(
                        accepted.raw().body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length));
        assertThat(http().get("/test/request-thread").body()).isEqualTo("virtual");
        assertThat(http().get("/actuator/prometheus").body())
                .contains("cistern_writer_requests_total")
                .doesNotContain("http_server_requests");
    }

    @Test
    void healthEndpoints_areUpWhileRedisAnswers() {
        HttpTestClient.Response health = http().get("/actuator/health");
        HttpTestClient.Response liveness = http().get("/actuator/health/liveness");
        HttpTestClient.Response readiness = http().get("/actuator/health/readiness");

        assertThat(health.status()).as(health.body()).isEqualTo(200);
        assertThat(health.json().get("status").stringValue()).isEqualTo("UP");
        assertThat(liveness.status()).as(liveness.body()).isEqualTo(200);
        assertThat(readiness.status()).as(readiness.body()).isEqualTo(200);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static void assertRefused(HttpTestClient.Response r, int status, String code, String field) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        JsonNode json = r.json();
        assertThat(json.get("error").stringValue()).isEqualTo(code);
        assertThat(json.get("field").stringValue()).isEqualTo(field);
        assertThat(json.get("message").stringValue()).isNotBlank();
    }

    private void assertNothingWritten(long entriesBefore, String table, String key) {
        assertThat(cistern.streamEntries()).isEqualTo(entriesBefore);
        assertThat(cistern.record(table, key)).isEmpty();
    }
}
