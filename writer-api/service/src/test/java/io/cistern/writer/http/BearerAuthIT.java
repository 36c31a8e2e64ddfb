package io.cistern.writer.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriterSettings;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;

/** Bearer-token authentication: writes without the configured token are refused before anything is read. */
@SpringBootTest(
        classes = {WriterApiApplication.class, BearerAuthIT.Fixture.class},
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "cistern.writer.token=" + BearerAuthIT.TOKEN)
@DirtiesContext
class BearerAuthIT {
    static final String TOKEN = "s3cret-token-for-BearerAuthIT";

    @TestConfiguration(proxyBeanMethods = false)
    static class Fixture {
        @Bean(destroyMethod = "close")
        TestCistern testCistern() {
            return TestCistern.start("BearerAuthIT", o -> o);
        }

        @Bean
        WriterSettings writerSettings(TestCistern cistern) {
            return cistern.writerSettings();
        }

        @Bean(destroyMethod = "close")
        RecordWriter recordWriter(WriterSettings settings) {
            return RecordWriter.connect(settings);
        }
    }

    @Autowired
    TestCistern cistern;

    @LocalServerPort
    int port;

    private static String doc(UUID id) {
        return "/v1/tables/source_documents/records/" + id;
    }

    @Test
    void writeWithoutToken_isRefusedWith401_andNothingReachesRedis() {
        UUID id = UUID.randomUUID();
        long before = cistern.streamEntries();

        HttpTestClient.Response r = HttpTestClient.onPort(port).put(doc(id), "{\"filename\": \"a.pdf\"}");

        assertThat(r.status()).as(r.body()).isEqualTo(401);
        assertThat(r.json().get("error").stringValue()).isEqualTo("UNAUTHORIZED");
        assertThat(r.header("WWW-Authenticate")).startsWith("Bearer");
        assertThat(r.body()).doesNotContain(TOKEN);
        assertThat(cistern.streamEntries()).isEqualTo(before);
        assertThat(cistern.record("source_documents", id.toString())).isEmpty();
    }

    @Test
    void writeWithWrongToken_isRefusedWith401_withoutEchoingEitherToken() {
        UUID id = UUID.randomUUID();
        long before = cistern.streamEntries();

        HttpTestClient.Response r =
                HttpTestClient.onPort(port).withToken("guess-123").put(doc(id), "{\"filename\": \"a.pdf\"}");

        assertThat(r.status()).as(r.body()).isEqualTo(401);
        assertThat(r.body()).doesNotContain(TOKEN).doesNotContain("guess-123");
        assertThat(cistern.streamEntries()).isEqualTo(before);
    }

    @Test
    void writeWithToken_isAccepted() {
        UUID id = UUID.randomUUID();

        HttpTestClient.Response r =
                HttpTestClient.onPort(port).withToken(TOKEN).put(doc(id), "{\"filename\": \"a.pdf\"}");

        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(cistern.record("source_documents", id.toString())).containsEntry("c:filename", "\"a.pdf\"");
    }

    @Test
    void healthAndMetrics_needNoToken_andNeverShowIt() {
        HttpTestClient.Response health = HttpTestClient.onPort(port).get("/actuator/health");
        HttpTestClient.Response prometheus = HttpTestClient.onPort(port).get("/actuator/prometheus");

        assertThat(health.status()).isEqualTo(200);
        assertThat(prometheus.status()).isEqualTo(200);
        assertThat(health.body() + prometheus.body()).doesNotContain(TOKEN);
    }
}
