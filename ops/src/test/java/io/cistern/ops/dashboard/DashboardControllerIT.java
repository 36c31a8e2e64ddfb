package io.cistern.ops.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.PrivateRedis;
import io.cistern.schema.keys.KeyLayout;
import org.junit.jupiter.api.Test;

/** The dashboard's JSON while Redis cannot be read: 503, saying where it read, never the password it used. */
class DashboardControllerIT {

    @Test
    void wrongRedisPassword_answers503_namingRedisWithoutThePassword() {
        String password = "wrong-s3cret-pass";
        try (PrivateRedis redis = PrivateRedis.start("--requirepass", "the-right-one");
                DashboardSource source = new DashboardSource(
                        RedisSettings.of("redis://:" + password + "@127.0.0.1:" + redis.port()),
                        KeyLayout.defaults())) {
            DashboardController controller = new DashboardController(source);

            var status = controller.status();
            var activity = controller.activity();

            assertThat(status.getStatusCode().value()).isEqualTo(503);
            assertThat(activity.getStatusCode().value()).isEqualTo(503);
            assertThat(status.getBody())
                    .contains("cannot read the pipeline status from Redis at redis://")
                    .contains(Integer.toString(redis.port()))
                    .doesNotContain(password);
            assertThat(activity.getBody()).doesNotContain(password);
        }
    }
}
