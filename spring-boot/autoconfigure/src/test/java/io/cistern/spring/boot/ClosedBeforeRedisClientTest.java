package io.cistern.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

class ClosedBeforeRedisClientTest {

    @Test
    void stop_closesLastRegisteredFirst_once_evenWhenOneFails() {
        // given three components, the middle one failing to close
        List<String> closed = new ArrayList<>();
        ClosedBeforeRedisClient closer = new ClosedBeforeRedisClient();
        closer.register(() -> closed.add("writer"));
        closer.register(() -> {
            closed.add("reader");
            throw new IllegalStateException("boom");
        });
        closer.register(() -> closed.add("health"));
        closer.start();

        // when the context stops, then is destroyed
        closer.stop();
        closer.destroy();

        // then each was closed once, in reverse order
        assertThat(closed).containsExactly("health", "reader", "writer");
        assertThat(closer.isRunning()).isFalse();
    }

    @Test
    void phase_isAfterTheEmbeddedWorkerAndBeforeTheRedisConnectionFactory() {
        int redisFactoryPhase = new LettuceConnectionFactory().getPhase();

        assertThat(ClosedBeforeRedisClient.PHASE)
                .isLessThan(EmbeddedSyncWorker.PHASE)
                .isGreaterThan(redisFactoryPhase);
    }
}
