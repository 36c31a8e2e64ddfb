package io.cistern.ops.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.PrivateRedis;
import io.cistern.connections.testing.TestRedis;
import io.cistern.ops.status.PipelineStatus;
import io.cistern.ops.status.StatusHistory;
import io.cistern.ops.status.StatusMonitor;
import io.cistern.schema.codec.ExactJson;
import io.cistern.schema.keys.KeyLayout;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The dashboard's JSON: while Redis cannot be read, 503 saying where it read, never the password it used; the
 * history of the charts, kept by the service and served from memory.
 */
class DashboardControllerIT {

    @Test
    void wrongRedisPassword_answers503_namingRedisWithoutThePassword() {
        String password = "wrong-s3cret-pass";
        try (PrivateRedis redis = PrivateRedis.start("--requirepass", "the-right-one");
                DashboardSource source = new DashboardSource(
                        RedisSettings.of("redis://:" + password + "@127.0.0.1:" + redis.port()), KeyLayout.defaults());
                DashboardHistory history = DashboardHistory.watching(source, StatusHistory.defaults())) {
            DashboardController controller = new DashboardController(source, history);

            var status = controller.status();
            var activity = controller.activity();
            var samples = controller.history(null);

            assertThat(status.getStatusCode().value()).isEqualTo(503);
            assertThat(activity.getStatusCode().value()).isEqualTo(503);
            assertThat(status.getBody())
                    .contains("cannot read the pipeline status from Redis at redis://")
                    .contains(Integer.toString(redis.port()))
                    .doesNotContain(password);
            assertThat(activity.getBody()).doesNotContain(password);
            assertThat(samples.getStatusCode().value())
                    .as("the history is read from memory")
                    .isEqualTo(200);
            assertThat(json(samples.getBody()).get("samples")).isEmpty();
            assertThat(samples.getBody()).doesNotContain(password);
        }
    }

    @Test
    void history_followsTheServicesMonitor_withEachPartitionsBacklogAndTheThroughputIn() {
        try (TestRedis redis = TestRedis.create("DashboardControllerIT");
                DashboardSource source = new DashboardSource(RedisSettings.of(redis.url()), layout(redis));
                StatusMonitor monitor = new StatusMonitor(
                        PipelineStatus.connect(RedisSettings.of(redis.url()), layout(redis)), Duration.ofMillis(100))) {
            // given two partitions, the second with 3 entries no worker applied
            RedisCommands<String, String> r = redis.commands();
            r.hset(layout(redis).config(), "partitions", "2");
            for (int i = 0; i < 3; i++) {
                r.xadd(layout(redis).stream(1), Map.of("i", Integer.toString(i)));
            }
            StatusHistory kept =
                    new StatusHistory(Duration.ofMinutes(5), Duration.ofMillis(200), InstantSource.system());
            DashboardController controller = new DashboardController(source, DashboardHistory.following(monitor, kept));

            // when the service's monitor has run for a while, and 2 more entries arrived
            monitor.start();
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> samples(controller, null).size() >= 3);
            r.xadd(layout(redis).stream(1), Map.of("i", "3"));
            r.xadd(layout(redis).stream(1), Map.of("i", "4"));

            // then the history has every partition's backlog over time, and the throughput in
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                JsonNode latest = samples(controller, null).getLast();
                assertThat(latest.get("partitions").asInt()).isEqualTo(2);
                assertThat(longs(latest.get("partitionBacklogs"))).containsExactly(0L, 5L);
                assertThat(latest.get("backlog").asLong()).isEqualTo(5);
                assertThat(latest.get("entriesAdded").asLong()).isEqualTo(5);
            });
            List<JsonNode> all = samples(controller, null);
            assertThat(longs(all.getFirst().get("partitionBacklogs"))).containsExactly(0L, 3L);
            assertThat(all.getFirst().get("inPerSecond").isNull())
                    .as("no rate for the first sample")
                    .isTrue();
            assertThat(all.stream()
                            .skip(1)
                            .mapToDouble(s -> s.get("inPerSecond").asDouble())
                            .max()
                            .orElseThrow())
                    .as("the 2 new entries show as throughput in")
                    .isPositive();
            List<Long> times = all.stream().map(s -> s.get("t").asLong()).toList();
            assertThat(times).isSorted().doesNotHaveDuplicates();

            // and with after, only the newer samples
            long after = times.get(times.size() - 2);
            assertThat(samples(controller, after))
                    .extracting(s -> s.get("t").asLong())
                    .allSatisfy(t -> assertThat(t).isGreaterThan(after))
                    .isNotEmpty();
            JsonNode root = json(controller.history(null).getBody());
            assertThat(root.get("retentionSeconds").asLong()).isEqualTo(300);
            assertThat(root.get("now").asLong()).isGreaterThanOrEqualTo(times.getLast());
        }
    }

    private static KeyLayout layout(TestRedis redis) {
        return new KeyLayout(redis.prefix());
    }

    private static List<JsonNode> samples(DashboardController controller, Long after) {
        var response = controller.history(after);
        assertThat(response.getStatusCode().value()).isEqualTo(200);
        List<JsonNode> samples = new ArrayList<>();
        json(response.getBody()).get("samples").forEach(samples::add);
        return samples;
    }

    private static List<Long> longs(JsonNode array) {
        List<Long> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asLong()));
        return values;
    }

    private static JsonNode json(String text) {
        return ExactJson.mapper().readTree(text);
    }
}
