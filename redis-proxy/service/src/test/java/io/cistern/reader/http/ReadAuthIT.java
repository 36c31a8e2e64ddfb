package io.cistern.reader.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.writer.RecordKey;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** With CISTERN_READER_TOKEN set, reads need the bearer token; health and metrics do not. */
@SpringBootTest(classes = ProxyApiApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class ReadAuthIT {
    private static final String TOKEN = "r3ad-t0ken";
    private static final TestCistern cistern = TestCistern.start("ReadAuthIT");

    @DynamicPropertySource
    static void environment(DynamicPropertyRegistry properties) {
        properties.add("REDIS_URL", () -> cistern.redisUrl);
        properties.add("DATABASE_URL", () -> cistern.jdbcUrl);
        properties.add("CISTERN_PREFIX", () -> cistern.prefix);
        properties.add("CISTERN_READER_TOKEN", () -> TOKEN);
    }

    @AfterAll
    static void stop() {
        cistern.close();
    }

    @LocalServerPort
    int port;

    @Test
    void readsWithoutTheToken_are401_naming_theVariable_withTheTokenTheyAreServed() {
        // given a record
        HttpTestClient http = new HttpTestClient(port);
        UUID id = UUID.randomUUID();
        cistern.writer.put("source_documents", RecordKey.of(id), Map.of("filename", "secret.pdf"));
        String path = "/v1/tables/source_documents/records/" + id;

        // when it is read without a token, with a wrong one, and with the right one
        HttpTestClient.Response none = http.get(path);
        HttpTestClient.Response wrong = http.get(path, "Authorization", "Bearer " + TOKEN + "x");
        HttpTestClient.Response right = http.get(path, "Authorization", "Bearer " + TOKEN);

        // then only the right token gets the record; refusals carry no record and never repeat the token
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.header("WWW-Authenticate")).startsWith("Bearer");
        assertThat(none.json().get("error").stringValue()).isEqualTo("UNAUTHORIZED");
        assertThat(none.body()).contains("CISTERN_READER_TOKEN").doesNotContain("secret.pdf");
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.body()).doesNotContain(TOKEN).doesNotContain("secret.pdf");
        assertThat(right.status()).as(right.body()).isEqualTo(200);
        assertThat(right.json().get("record").get("filename").stringValue()).isEqualTo("secret.pdf");
    }

    @Test
    void batchReadWithoutTheToken_is401() {
        HttpTestClient.Response batch =
                new HttpTestClient(port).post("/v1/tables/source_documents/records:get", "{\"keys\": []}");

        assertThat(batch.status()).isEqualTo(401);
        assertThat(batch.json().get("error").stringValue()).isEqualTo("UNAUTHORIZED");
    }

    @Test
    void healthAndMetrics_needNoToken() {
        HttpTestClient http = new HttpTestClient(port);

        assertThat(http.get("/actuator/health/readiness").status()).isEqualTo(200);
        assertThat(http.get("/actuator/prometheus").status()).isEqualTo(200);
    }
}
