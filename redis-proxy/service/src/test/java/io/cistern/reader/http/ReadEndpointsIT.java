package io.cistern.reader.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.schema.wire.RecordFields;
import io.cistern.writer.RecordKey;
import io.cistern.writer.WriteReceipt;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The read endpoints of the standalone service, configured like production: from REDIS_URL, DATABASE_URL and
 * CISTERN_PREFIX (here as Spring properties of the same names).
 */
@SpringBootTest(classes = ProxyApiApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class ReadEndpointsIT {
    private static final TestCistern cistern = TestCistern.start("ReadEndpointsIT");

    @DynamicPropertySource
    static void environment(DynamicPropertyRegistry properties) {
        properties.add("REDIS_URL", () -> cistern.redisUrl);
        properties.add("DATABASE_URL", () -> cistern.jdbcUrl);
        properties.add("CISTERN_PREFIX", () -> cistern.prefix);
    }

    @AfterAll
    static void stop() {
        cistern.close();
    }

    @LocalServerPort
    int port;

    private HttpTestClient http() {
        return new HttpTestClient(port);
    }

    private static String doc(String id) {
        return "/v1/tables/source_documents/records/" + id;
    }

    @Test
    void writtenRecord_isReturnedWithItsVersionAsETagAndTheTier() {
        // given a record written (not yet synced)
        UUID id = UUID.randomUUID();
        WriteReceipt put = cistern.writer.put(
                "source_documents", RecordKey.of(id), Map.of("filename", "a.pdf", "size_bytes", 9007199254740993L));

        // when it is read twice
        HttpTestClient.Response first = http().get(doc(id.toString()));
        HttpTestClient.Response second = http().get(doc(id.toString()));

        // then both answer the record, Redis first, the local cache next, the version as ETag
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        assertThat(first.header("ETag")).isEqualTo("\"" + put.version() + "\"");
        assertThat(first.header("Cistern-Tier")).isEqualTo("redis");
        assertThat(second.header("Cistern-Tier")).isEqualTo("local");
        JsonNode json = first.json();
        assertThat(json.get("table").stringValue()).isEqualTo("source_documents");
        assertThat(json.get("key").stringValue()).isEqualTo(id.toString());
        assertThat(json.get("version").longValue()).isEqualTo(put.version());
        assertThat(json.get("record").get("filename").stringValue()).isEqualTo("a.pdf");
        // exact through JSON: 2^53 + 1 is not rounded
        assertThat(first.body()).contains("\"size_bytes\":9007199254740993");
    }

    @Test
    void oneRecord_readsTheSameBytesFromEveryTier_withItsKeyAndTheDatabaseDefaults() {
        // given a put not yet synced that leaves created_at and updated_at to the database, with a jsonb value
        UUID id = UUID.randomUUID();
        String path = doc(id.toString());
        WriteReceipt put = cistern.writer.put(
                "source_documents",
                RecordKey.of(id),
                Map.of("filename", "a.pdf", "status", "done", "metadata", "{\"bb\": 1, \"a\": 2.50}"));

        // then the answer names the key column and the columns PostgreSQL still fills
        HttpTestClient.Response unsynced = http().get(path);
        assertThat(unsynced.json().get("record").get("document_uuid").stringValue())
                .isEqualTo(id.toString());
        assertThat(unsynced.body()).contains(",\"pending\":[\"created_at\",\"updated_at\"]}");

        // when the put is synced (applied at its version, its hash released to a TTL, as the sync worker does)
        cistern.sql("INSERT INTO source_documents (document_uuid, filename, status, metadata, cistern_version)"
                + " VALUES ('" + id + "', 'a.pdf', 'done', '{\"bb\": 1, \"a\": 2.50}', " + put.version() + ")");
        String recordKey = cistern.recordKey("source_documents", id.toString());
        cistern.redis().pexpire(recordKey, 300_000);
        // Redis tells the reader the hash changed; its first read completes the hash with the row's defaults
        HttpTestClient.Response redis = await().atMost(Duration.ofSeconds(10))
                .until(() -> http().get(path), r -> "redis".equals(r.header("Cistern-Tier")));
        HttpTestClient.Response local = http().get(path);
        // ... and the defaults were written into the hash, so later reads need no query
        assertThat(cistern.redis().hexists(recordKey, RecordFields.column("created_at")))
                .isTrue();
        cistern.redis().del(recordKey);
        HttpTestClient.Response database = await().atMost(Duration.ofSeconds(10))
                .until(() -> http().get(path), r -> "database".equals(r.header("Cistern-Tier")));

        // then every tier answers the same bytes: the key, the defaults PostgreSQL assigned, jsonb in its order
        assertThat(local.header("Cistern-Tier")).isEqualTo("local");
        assertThat(redis.body()).isEqualTo(local.body()).isEqualTo(database.body());
        assertThat(database.body())
                .contains("\"document_uuid\":\"" + id + "\"", "\"metadata\":{\"a\":2.50,\"bb\":1}", "\"created_at\":\"")
                .doesNotContain("pending");
    }

    @Test
    void ifNoneMatchWithTheCurrentVersion_isNotModified_andANewWriteChangesTheAnswer() {
        UUID id = UUID.randomUUID();
        WriteReceipt put = cistern.writer.put("source_documents", RecordKey.of(id), Map.of("filename", "a.pdf"));
        String etag = "\"" + put.version() + "\"";

        HttpTestClient.Response same = http().get(doc(id.toString()), "If-None-Match", etag);

        assertThat(same.status()).isEqualTo(304);
        assertThat(same.header("ETag")).isEqualTo(etag);
        assertThat(same.body()).isEmpty();

        // when the record changes, the same request returns the new state (asking for at least its version)
        WriteReceipt patch = cistern.writer.patch("source_documents", RecordKey.of(id), Map.of("status", "done"));
        HttpTestClient.Response changed =
                http().get(doc(id.toString()) + "?minVersion=" + patch.version(), "If-None-Match", etag);
        assertThat(changed.status()).isEqualTo(200);
        assertThat(changed.header("ETag")).isEqualTo("\"" + patch.version() + "\"");
        assertThat(changed.json().get("record").get("status").stringValue()).isEqualTo("done");
    }

    @Test
    void absentRecord_is404() {
        HttpTestClient.Response r = http().get(doc(UUID.randomUUID().toString()));

        assertThat(r.status()).isEqualTo(404);
        assertThat(r.json().get("error").stringValue()).isEqualTo("NOT_FOUND");
        assertThat(r.header("Cistern-Tier")).isEqualTo("database");
    }

    @Test
    void deletedRecord_is404WithTheDeleteVersion() {
        UUID id = UUID.randomUUID();
        cistern.writer.put("source_documents", RecordKey.of(id), Map.of("filename", "a.pdf"));
        WriteReceipt delete = cistern.writer.delete("source_documents", RecordKey.of(id));

        HttpTestClient.Response r = http().get(doc(id.toString()));

        assertThat(r.status()).isEqualTo(404);
        assertThat(r.json().get("version").longValue()).isEqualTo(delete.version());
        assertThat(r.header("Cistern-Tier")).isEqualTo("redis");
    }

    @Test
    void rowOnlyInPostgres_isAnsweredByTheDatabase() {
        UUID id = UUID.randomUUID();
        cistern.sql("INSERT INTO source_documents (document_uuid, filename) VALUES ('" + id + "', 'old.pdf')");

        HttpTestClient.Response r = http().get(doc(id.toString()));

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.header("Cistern-Tier")).isEqualTo("database");
        assertThat(r.header("ETag")).isEqualTo("\"0\"");
        assertThat(r.json().get("record").get("status").stringValue()).isEqualTo("registered");
    }

    @Test
    void compositeKey_inItsEncodedForm() {
        UUID doc = UUID.randomUUID();
        UUID entity = UUID.randomUUID();
        cistern.writer.put("source_documents", RecordKey.of(doc), Map.of("filename", "d.pdf"));
        cistern.writer.put(
                "entities",
                RecordKey.of(doc, entity),
                Map.of("entity_type", "iban", "confidence", new BigDecimal("0.9731")));

        HttpTestClient.Response r = http().get("/v1/tables/entities/records/" + doc + "," + entity);

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("\"confidence\":0.9731");
        assertThat(r.json().get("key").stringValue()).isEqualTo(doc + "," + entity);
    }

    @Test
    void batch_answersEachKeyInOrder() {
        UUID a = UUID.randomUUID();
        UUID missing = UUID.randomUUID();
        cistern.writer.put("source_documents", RecordKey.of(a), Map.of("filename", "a.pdf"));

        HttpTestClient.Response r = http().post(
                        "/v1/tables/source_documents/records:get", "{\"keys\": [\"" + a + "\", \"" + missing + "\"]}");

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode results = r.json().get("results");
        assertThat(results.get(0).get("found").booleanValue()).isTrue();
        assertThat(results.get(0).get("record").get("filename").stringValue()).isEqualTo("a.pdf");
        assertThat(results.get(1).get("found").booleanValue()).isFalse();
        assertThat(results.get(1).get("key").stringValue()).isEqualTo(missing.toString());
        assertThat(r.json().get("found").intValue()).isEqualTo(1);
    }

    @Test
    void badRequests_areRefusedNamingTheProblem() {
        HttpTestClient.Response unknownTable = http().get("/v1/tables/nope/records/1");
        assertThat(unknownTable.status()).isEqualTo(404);
        assertThat(unknownTable.json().get("error").stringValue()).isEqualTo("UNKNOWN_TABLE");

        HttpTestClient.Response badKey = http().get(doc("not-a-uuid"));
        assertThat(badKey.status()).isEqualTo(422);
        assertThat(badKey.json().get("error").stringValue()).isEqualTo("MALFORMED_KEY");

        HttpTestClient.Response badVersion = http().get(doc(UUID.randomUUID().toString()) + "?minVersion=x");
        assertThat(badVersion.status()).isEqualTo(400);
        assertThat(badVersion.json().get("message").stringValue()).contains("minVersion");

        HttpTestClient.Response badBody = http().post("/v1/tables/source_documents/records:get", "{\"ids\": []}");
        assertThat(badBody.status()).isEqualTo(400);
        assertThat(badBody.json().get("message").stringValue()).contains("\"keys\"");
    }

    @Test
    void healthAndMetrics_areServed() {
        http().get(doc(UUID.randomUUID().toString()));

        HttpTestClient.Response readiness = http().get("/actuator/health/readiness");
        HttpTestClient.Response metrics = http().get("/actuator/prometheus");

        assertThat(readiness.status()).as(readiness.body()).isEqualTo(200);
        assertThat(metrics.body())
                .contains("cistern_proxy_reads_total{")
                .contains("cistern_proxy_lookups_total{")
                .contains("cistern_proxy_database_queries_seconds_count{")
                .contains("cistern_proxy_fills_total{")
                .contains("cistern_proxy_invalidations_total")
                .contains("cistern_proxy_requests_total{");
    }
}
