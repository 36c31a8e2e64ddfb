package io.cistern.writer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.failure.CisternException;
import io.cistern.schema.function.BufferLimits;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** The writer counts what Redis stored and what was refused, by table and operation or reason. */
class WriterMetricsIT {
    private static final String DOCS = "source_documents";

    @Test
    void writesAndRefusals_areCountedWithBoundedTags() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (TestDatabase db = TestDatabase.create(getClass().getSimpleName());
                TestRedis redis = TestRedis.create(getClass().getSimpleName())) {
            PGSimpleDataSource dataSource = new PGSimpleDataSource();
            dataSource.setURL(db.jdbcUrl());
            // given a backlog limit of 3 entries per partition, and one partition
            new Initializer(dataSource, redis.commands())
                    .run(InitOptions.defaults(new KeyLayout(redis.prefix()))
                            .withPartitions(1)
                            .withLimits(new BufferLimits(3, 0, 1 << 20)));
            try (RecordWriter writer = RecordWriter.connect(
                    WriterSettings.of(redis.url())
                            .mutate()
                            .prefix(redis.prefix())
                            .build(),
                    meters)) {
                UUID doc = UUID.randomUUID();
                // when: three accepted writes, then refusals at the edge and by Redis
                writer.put(DOCS, RecordKey.of(doc), Map.of("filename", "a.pdf"));
                writer.patch(DOCS, RecordKey.of(doc), Map.of("status", "processing"));
                writer.writeAllAsync(List.of(Write.delete(DOCS, RecordKey.of(UUID.randomUUID()))))
                        .join();
                assertThatThrownBy(() -> writer.put(DOCS, RecordKey.of(doc), Map.of("no_such_column", 1)))
                        .isInstanceOf(CisternException.class);
                assertThatThrownBy(() -> writer.put("made_up_table", RecordKey.of(doc), Map.of("x", 1)))
                        .isInstanceOf(CisternException.class);
                assertThatThrownBy(() -> writer.put(DOCS, RecordKey.of(doc), Map.of("filename", "b.pdf")))
                        .isInstanceOf(CisternException.class);
            }
        }

        // then
        assertThat(count(meters, "cistern.writer.writes", "table", DOCS, "op", "put"))
                .isEqualTo(1);
        assertThat(count(meters, "cistern.writer.writes", "table", DOCS, "op", "patch"))
                .isEqualTo(1);
        assertThat(count(meters, "cistern.writer.writes", "table", DOCS, "op", "delete"))
                .isEqualTo(1);
        assertThat(count(meters, "cistern.writer.refusals", "table", DOCS, "reason", "unknown_column"))
                .isEqualTo(1);
        assertThat(count(meters, "cistern.writer.refusals", "table", "unknown", "reason", "unknown_table"))
                .isEqualTo(1);
        assertThat(count(meters, "cistern.writer.refusals", "table", DOCS, "reason", "backpressure"))
                .isEqualTo(1);
    }

    private static double count(SimpleMeterRegistry meters, String name, String... tags) {
        return meters.get(name).tags(tags).counter().count();
    }
}
