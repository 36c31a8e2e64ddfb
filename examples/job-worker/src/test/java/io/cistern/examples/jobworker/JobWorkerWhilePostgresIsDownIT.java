package io.cistern.examples.jobworker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.testing.PrivatePostgres;
import io.cistern.connections.testing.TestRedis;
import io.cistern.connections.testing.TestServers;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.client.RestClient;

/**
 * The job worker against a PostgreSQL of its own that the test stops: jobs keep being accepted and written while it is
 * down, readiness stays UP, and once it is back every job's document and entities are in PostgreSQL (drained by the
 * embedded sync worker, confirmed by each job's {@code awaitSynced}).
 */
@SpringBootTest(
        classes = {JobWorkerApplication.class, JobWorkerWhilePostgresIsDownIT.Cleanup.class},
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class JobWorkerWhilePostgresIsDownIT {
    private static final PrivatePostgres POSTGRES = PrivatePostgres.start();
    private static final TestRedis REDIS = TestRedis.create("JobWorkerWhilePostgresIsDownIT");
    private static final String TEXT =
            "Invoice of 2026-11-23 from Billing@Example.com: pay to DE89 3704 0044 0532 0130 00.";
    private static final int ENTITIES_PER_JOB = 3;

    static {
        POSTGRES.execute("CREATE DATABASE cistern");
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL(POSTGRES.jdbcUrl("cistern") + "?user=postgres");
        new Initializer(dataSource, REDIS.commands())
                .run(InitOptions.defaults(new KeyLayout(REDIS.prefix())).withPartitions(2));
    }

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry properties) {
        properties.add("spring.data.redis.url", TestServers::redisUrl);
        properties.add("spring.datasource.url", () -> POSTGRES.jdbcUrl("cistern"));
        properties.add("spring.datasource.hikari.connection-timeout", () -> "1000");
        properties.add("cistern.key-prefix", REDIS::prefix);
        properties.add("cistern.sync.embedded.enabled", () -> "true");
        properties.add("cistern.sync.linger", () -> "5ms");
        properties.add("cistern.sync.lease-time", () -> "3s");
        properties.add("cistern.sync.renew-interval", () -> "500ms");
        properties.add("cistern.sync.backoff-max", () -> "500ms");
        properties.add("job-worker.sync-wait", () -> "1s");
    }

    /** Removes the test's keys and server once the application has stopped. */
    @TestConfiguration(proxyBeanMethods = false)
    static class Cleanup {
        @Bean(destroyMethod = "close")
        AutoCloseable testServersCleanup() {
            return () -> {
                try {
                    REDIS.close();
                } finally {
                    POSTGRES.close();
                }
            };
        }
    }

    @LocalServerPort
    int port;

    @Test
    void whilePostgresIsDown_jobsAreAcceptedAndWritten_andAllRowsArriveOnceItIsBack() {
        RestClient http = RestClient.create("http://127.0.0.1:" + port);
        JdbcTemplate jdbc = new JdbcTemplate(pgDataSource());

        // given a job that went all the way to PostgreSQL
        JobStatus before = submit(http, "before.txt");
        awaitState(http, List.of(before), "synced", Duration.ofSeconds(30));

        // when PostgreSQL goes away and jobs keep coming
        POSTGRES.stop();
        List<JobStatus> during = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                during.add(submit(http, "during-" + i + ".txt"));
            }

            // then every job's writes are done (in the buffer), and the worker stays ready
            awaitState(http, during, "written", Duration.ofSeconds(20));
            assertThat(http.get()
                            .uri("/actuator/health/readiness")
                            .retrieve()
                            .toBodilessEntity()
                            .getStatusCode())
                    .isEqualTo(HttpStatusCode.valueOf(200));
            assertThat(state(http, during.get(0))).isEqualTo("written");
        } finally {
            // and once PostgreSQL is back
            POSTGRES.startAgain();
        }

        // then every job is confirmed synced, and its document and entities are in PostgreSQL
        awaitState(http, during, "synced", Duration.ofSeconds(60));
        List<JobStatus> all = new ArrayList<>(during);
        all.add(before);
        for (JobStatus job : all) {
            Map<String, Object> doc = jdbc.queryForMap(
                    "SELECT status, size_bytes, processed_at IS NOT NULL AS processed FROM source_documents"
                            + " WHERE document_uuid = ?",
                    job.documentUuid());
            assertThat(doc).containsEntry("status", "done").containsEntry("processed", true);
            assertThat(jdbc.queryForList(
                            "SELECT entity_type FROM entities WHERE document_uuid = ? ORDER BY start_offset",
                            String.class,
                            job.documentUuid()))
                    .containsExactly("date", "email", "iban");
        }
        assertThat(jdbc.queryForObject(
                        "SELECT normalized FROM entities WHERE entity_type = 'iban' LIMIT 1", String.class))
                .isEqualTo("DE89370400440532013000");
        assertThat(all).allSatisfy(j -> assertThat(j.documentUuid()).isNotNull());
        assertThat(jdbc.queryForObject("SELECT count(*) FROM entities", Long.class))
                .isEqualTo((long) all.size() * ENTITIES_PER_JOB);
    }

    private static JobStatus submit(RestClient http, String filename) {
        JobStatus status = http.post()
                .uri("/jobs")
                .contentType(MediaType.APPLICATION_JSON)
                .body(Map.of("filename", filename, "text", TEXT))
                .retrieve()
                .body(JobStatus.class);
        assertThat(status).isNotNull();
        assertThat(status.state()).isEqualTo("queued");
        return status;
    }

    private static String state(RestClient http, JobStatus job) {
        return http.get()
                .uri("/jobs/{id}", job.jobId())
                .retrieve()
                .body(JobStatus.class)
                .state();
    }

    private static void awaitState(RestClient http, List<JobStatus> jobs, String state, Duration within) {
        await("jobs " + state)
                .atMost(within)
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(jobs.stream().map(j -> state(http, j)))
                        .as("states of jobs "
                                + jobs.stream().map(JobStatus::jobId).toList())
                        .containsOnly(state));
    }

    private static PGSimpleDataSource pgDataSource() {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL(POSTGRES.jdbcUrl("cistern") + "?user=postgres");
        return dataSource;
    }
}
