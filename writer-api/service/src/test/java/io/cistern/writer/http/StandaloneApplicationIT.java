package io.cistern.writer.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.writer.RecordWriter;
import java.util.UUID;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The standalone service as {@code main} starts it, configured only through environment-style settings: it builds its
 * own {@link RecordWriter} (no test beans here) and enforces its token.
 */
class StandaloneApplicationIT {
    private static TestCistern cistern;

    @BeforeAll
    static void initialiseCistern() {
        cistern = TestCistern.start("StandaloneApplicationIT", o -> o);
    }

    @AfterAll
    static void removeCistern() {
        cistern.close();
    }

    @Test
    void standaloneService_builtFromSettings_acceptsWritesCarryingItsToken() {
        try (ConfigurableApplicationContext context = WriterApiApplication.application()
                .run(
                        "--server.port=0",
                        "--REDIS_URL=" + cistern.redisUrl(),
                        "--CISTERN_PREFIX=" + cistern.prefix(),
                        "--CISTERN_WRITER_TOKEN=standalone-token")) {
            int port = ((WebServerApplicationContext) context).getWebServer().getPort();
            UUID id = UUID.randomUUID();
            String path = "/v1/tables/source_documents/records/" + id;

            HttpTestClient.Response anonymous = HttpTestClient.onPort(port).put(path, "{\"filename\": \"s.pdf\"}");
            HttpTestClient.Response authorised =
                    HttpTestClient.onPort(port).withToken("standalone-token").put(path, "{\"filename\": \"s.pdf\"}");

            assertThat(context.getBeansOfType(RecordWriter.class)).hasSize(1);
            assertThat(anonymous.status()).isEqualTo(401);
            assertThat(authorised.status()).as(authorised.body()).isEqualTo(202);
            assertThat(cistern.record("source_documents", id.toString())).containsEntry("c:filename", "\"s.pdf\"");
        }
    }

    @Test
    void tokenAndTokenFileBothSet_failsStartupNamingBoth() {
        assertThatThrownBy(() -> WriterApiApplication.application()
                        .run(
                                "--server.port=0",
                                "--REDIS_URL=" + cistern.redisUrl(),
                                "--CISTERN_PREFIX=" + cistern.prefix(),
                                "--CISTERN_WRITER_TOKEN=a",
                                "--CISTERN_WRITER_TOKEN_FILE=/run/secrets/writer-token")
                        .close())
                .satisfies(e -> Assertions.assertThat(rootCause(e))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage(
                                "both CISTERN_WRITER_TOKEN and CISTERN_WRITER_TOKEN_FILE are set: keep one of them"));
    }

    private static Throwable rootCause(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c;
    }
}
