package io.cistern.writer.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.PrivateRedis;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriterSettings;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;

/**
 * The writer's Redis goes away (a private redis-server, killed mid-test): writes are refused with 503 and Retry-After,
 * readiness goes down, liveness stays up.
 */
@SpringBootTest(
        classes = {WriterApiApplication.class, RedisDownIT.Fixture.class},
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class RedisDownIT {

    @TestConfiguration(proxyBeanMethods = false)
    static class Fixture {
        @Bean(destroyMethod = "close")
        PrivateRedis privateRedis() {
            return PrivateRedis.start();
        }

        @Bean(destroyMethod = "close")
        TestDatabase testDatabase() {
            return TestDatabase.create("RedisDownIT");
        }

        @Bean
        WriterSettings writerSettings(PrivateRedis redis, TestDatabase database) {
            RedisClient client = RedisClients.create(RedisSettings.of(redis.url()));
            try (StatefulRedisConnection<String, String> connection = client.connect()) {
                PGSimpleDataSource dataSource = new PGSimpleDataSource();
                dataSource.setURL(database.jdbcUrl());
                new Initializer(dataSource, connection.sync()).run(InitOptions.defaults(KeyLayout.defaults()));
            } finally {
                client.shutdown();
            }
            return WriterSettings.of(redis.url());
        }

        @Bean(destroyMethod = "close")
        RecordWriter recordWriter(WriterSettings settings) {
            return RecordWriter.connect(settings);
        }
    }

    @Autowired
    PrivateRedis redis;

    @LocalServerPort
    int port;

    @Test
    void redisGone_writesAre503WithRetryAfter_readinessDown_livenessUp() {
        HttpTestClient http = HttpTestClient.onPort(port);
        String path = "/v1/tables/source_documents/records/" + UUID.randomUUID();
        assertThat(http.put(path, "{\"filename\": \"a.pdf\"}").status()).isEqualTo(202);
        assertThat(http.get("/actuator/health/readiness").status()).isEqualTo(200);

        redis.close(); // kills the server (SIGKILL)

        HttpTestClient.Response write = http.patch(path, "{\"status\": \"processing\"}");
        assertThat(write.status()).as(write.body()).isEqualTo(503);
        assertThat(write.header("Retry-After")).isEqualTo("1");
        assertThat(write.json().get("error").stringValue()).isEqualTo("REDIS_UNAVAILABLE");
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(
                        () -> assertThat(http.get("/actuator/health/readiness").status())
                                .isEqualTo(503));
        HttpTestClient.Response liveness = http.get("/actuator/health/liveness");
        assertThat(liveness.status()).as(liveness.body()).isEqualTo(200);
        assertThat(liveness.json().get("status").stringValue()).isEqualTo("UP");
    }
}
