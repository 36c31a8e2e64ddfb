package io.cistern.writer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.failure.CisternException;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** {@link RecordWriter#connect(WriterSettings, io.lettuce.core.RedisClient)}: a writer on a client its caller owns. */
class RecordWriterOnSharedClientIT {

    @Test
    void writerOnCallersClient_writes_andClosingItLeavesTheClientOpen() {
        try (TestDatabase db = TestDatabase.create("RecordWriterOnSharedClientIT");
                TestRedis redis = TestRedis.create("RecordWriterOnSharedClientIT")) {
            // given Cistern initialised, and a client the caller owns
            PGSimpleDataSource dataSource = new PGSimpleDataSource();
            dataSource.setURL(db.jdbcUrl());
            new Initializer(dataSource, redis.commands())
                    .run(InitOptions.defaults(new KeyLayout(redis.prefix())).withPartitions(2));
            WriterSettings settings = WriterSettings.of(redis.url())
                    .mutate()
                    .prefix(redis.prefix())
                    .build();

            // when a writer on that client writes and is closed
            WriteReceipt receipt;
            try (RecordWriter writer = RecordWriter.connect(settings, redis.client())) {
                receipt = writer.put(
                        "source_documents", RecordKey.of(UUID.randomUUID()), Map.of("filename", "shared.pdf"));
            }

            // then the write is stored, and the client still opens connections
            assertThat(receipt.version()).isPositive();
            try (var connection = redis.client().connect()) {
                assertThat(connection.sync().xlen(settings.layout().stream(receipt.partition())))
                        .isEqualTo(1);
            }
        }
    }

    @Test
    void prefixNotInitialised_failsNamingItAndLeavesTheClientOpen() {
        try (TestRedis redis = TestRedis.create("RecordWriterOnSharedClientIT")) {
            WriterSettings settings = WriterSettings.of(redis.url())
                    .mutate()
                    .prefix(redis.prefix())
                    .build();

            assertThatThrownBy(() -> RecordWriter.connect(settings, redis.client()))
                    .isInstanceOf(CisternException.class);
            try (var connection = redis.client().connect()) {
                assertThat(connection.sync().ping()).isEqualTo("PONG");
            }
        }
    }
}
