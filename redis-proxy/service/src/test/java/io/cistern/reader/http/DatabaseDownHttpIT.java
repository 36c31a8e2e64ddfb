package io.cistern.reader.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.connections.testing.PrivatePostgres;
import io.cistern.writer.RecordKey;
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

/** PostgreSQL stopped: records in Redis are still served; reads that need the database get 503 within the timeout. */
@SpringBootTest(classes = ProxyApiApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class DatabaseDownHttpIT {
    private static final long TIMEOUT_MS = 500;
    private static final PrivatePostgres postgres = PrivatePostgres.start();
    private static final TestCistern cistern = TestCistern.onDatabase("DatabaseDownHttpIT", postgres.jdbcUrl());

    @DynamicPropertySource
    static void environment(DynamicPropertyRegistry properties) {
        properties.add("REDIS_URL", () -> cistern.redisUrl);
        properties.add("DATABASE_URL", () -> postgres.jdbcUrl());
        properties.add("DB_USER", () -> "postgres");
        properties.add("CISTERN_PREFIX", () -> cistern.prefix);
        properties.add("PROXY_DATABASE_TIMEOUT_MS", () -> Long.toString(TIMEOUT_MS));
    }

    @AfterAll
    static void stop() {
        try {
            cistern.close();
        } finally {
            postgres.close();
        }
    }

    @LocalServerPort
    int port;

    @Test
    void databaseStopped_redisRecordServed_databaseRecord503WithRetryAfterWithinTheTimeout() {
        // given a record in Redis, and a row only in PostgreSQL
        HttpTestClient http = new HttpTestClient(port);
        UUID inRedis = UUID.randomUUID();
        UUID inDatabase = UUID.randomUUID();
        cistern.writer.put("source_documents", RecordKey.of(inRedis), Map.of("filename", "r.pdf"));
        cistern.sql("INSERT INTO source_documents (document_uuid, filename) VALUES ('" + inDatabase + "', 'd.pdf')");

        // when PostgreSQL stops
        postgres.stop();
        try {
            // then the record in Redis is served
            HttpTestClient.Response fromRedis = http.get("/v1/tables/source_documents/records/" + inRedis);
            assertThat(fromRedis.status()).as(fromRedis.body()).isEqualTo(200);

            // and the read that needs PostgreSQL gets 503 with Retry-After, within the timeout
            long start = System.nanoTime();
            HttpTestClient.Response fromDatabase = http.get("/v1/tables/source_documents/records/" + inDatabase);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(fromDatabase.status()).as(fromDatabase.body()).isEqualTo(503);
            assertThat(fromDatabase.header("Retry-After")).isEqualTo("1");
            assertThat(fromDatabase.json().get("error").stringValue()).isEqualTo("DATABASE_UNAVAILABLE");
            assertThat(took).isLessThan(Duration.ofMillis(TIMEOUT_MS + 700));
            // and the service stays ready: it still answers what Redis holds
            assertThat(http.get("/actuator/health/readiness").status()).isEqualTo(200);
        } finally {
            postgres.startAgain();
        }
    }
}
