package io.cistern.writer.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.schema.function.BufferLimits;
import io.cistern.schema.keys.Partitioner;
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

/** A partition past its backlog limit: writes are refused with 503 and Retry-After, and nothing is added. */
@SpringBootTest(
        classes = {WriterApiApplication.class, BackpressureIT.Fixture.class},
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class BackpressureIT {

    @TestConfiguration(proxyBeanMethods = false)
    static class Fixture {
        @Bean(destroyMethod = "close")
        TestCistern testCistern() {
            // One entry per partition is the limit; no worker drains the streams here.
            return TestCistern.start("BackpressureIT", o -> o.withLimits(new BufferLimits(1, 0, 1 << 20)));
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

    /** A document key on {@code partition}, so that each test fills a partition of its own. */
    private static UUID documentOnPartition(int partition) {
        while (true) {
            UUID id = UUID.randomUUID();
            if (Partitioner.partitionOf(id.toString(), TestCistern.PARTITIONS) == partition) {
                return id;
            }
        }
    }

    @Test
    void secondWriteToFullPartition_isRefusedWith503AndRetryAfter() {
        String path = "/v1/tables/source_documents/records/" + documentOnPartition(3);
        HttpTestClient http = HttpTestClient.onPort(port);
        assertThat(http.put(path, "{\"filename\": \"a.pdf\"}").status()).isEqualTo(202);
        long before = cistern.streamEntries();

        HttpTestClient.Response r = http.patch(path, "{\"status\": \"processing\"}");

        assertThat(r.status()).as(r.body()).isEqualTo(503);
        assertThat(r.header("Retry-After")).isEqualTo("1");
        assertThat(r.json().get("error").stringValue()).isEqualTo("BACKPRESSURE");
        assertThat(r.json().get("message").stringValue()).contains("retry later");
        assertThat(cistern.streamEntries()).isEqualTo(before);
    }

    @Test
    void batchRefusedWholeByBackpressure_isAnswered503WithPerWriteErrors() {
        UUID id = documentOnPartition(7);
        HttpTestClient http = HttpTestClient.onPort(port);
        assertThat(http.put("/v1/tables/source_documents/records/" + id, "{\"filename\": \"a.pdf\"}")
                        .status())
                .isEqualTo(202);
        long before = cistern.streamEntries();

        HttpTestClient.Response r = http.post(
                "/v1/tables/source_documents/records:batch",
                "{\"writes\": [{\"op\": \"delete\", \"key\": \"%s\"}]}".formatted(id));

        assertThat(r.status()).as(r.body()).isEqualTo(503);
        assertThat(r.header("Retry-After")).isEqualTo("1");
        assertThat(r.json().get("failed").intValue()).isEqualTo(1);
        assertThat(r.json().get("results").get(0).get("error").stringValue()).isEqualTo("BACKPRESSURE");
        assertThat(cistern.streamEntries()).isEqualTo(before);
    }
}
