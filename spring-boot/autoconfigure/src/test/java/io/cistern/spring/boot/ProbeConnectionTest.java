package io.cistern.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.connections.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

class ProbeConnectionTest {

    @Test
    void redisUnreachable_isDown_withTheIndicatorsDetailsAndTheError() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        RedisURI uri = RedisURI.create("redis://127.0.0.1:" + port);
        uri.setTimeout(Duration.ofSeconds(1));
        RedisClient client = RedisClient.create(uri);
        AtomicInteger probes = new AtomicInteger();
        try (ProbeConnection connection = new ProbeConnection(client)) {
            Health health = connection.check(
                    redis -> {
                        probes.incrementAndGet();
                        return Health.up().build();
                    },
                    Map.of("prefix", "cistern"));

            assertThat(health.getStatus()).isEqualTo(Status.DOWN);
            assertThat(health.getDetails()).containsEntry("prefix", "cistern");
            assertThat(health.getDetails().get("error")).asString().startsWith("RedisConnectionException");
            assertThat(probes).as("the probe needs a connection").hasValue(0);
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        }
    }

    @Test
    void checksRunOnOneConnection_andAfterCloseTheAnswerIsUnknown_withoutReconnecting() {
        RedisClient client = RedisClient.create(TestServers.redisUrl());
        try {
            ProbeConnection connection = new ProbeConnection(client);
            Health first = connection.check(
                    redis -> Health.up().withDetail("ping", redis.ping()).build(), Map.of());
            Health second = connection.check(
                    redis -> Health.up().withDetail("id", redis.clientId()).build(), Map.of());
            Health third = connection.check(
                    redis -> Health.up().withDetail("id", redis.clientId()).build(), Map.of());

            assertThat(first.getDetails()).containsEntry("ping", "PONG");
            assertThat(second.getDetails().get("id"))
                    .as("the same connection each time")
                    .isEqualTo(third.getDetails().get("id"));

            connection.close();
            AtomicInteger probes = new AtomicInteger();
            Health afterClose = connection.check(
                    redis -> {
                        probes.incrementAndGet();
                        return Health.up().build();
                    },
                    Map.of());

            assertThat(afterClose.getStatus()).isEqualTo(Status.UNKNOWN);
            assertThat(afterClose.getDetails()).containsEntry("reason", "the application is shutting down");
            assertThat(probes).hasValue(0);
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        }
    }
}
