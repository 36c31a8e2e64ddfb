package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.schema.registry.CheckConstraint;
import io.cistern.schema.registry.TableRegistry;
import io.cistern.schema.wire.DeadLetterFields;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A CHECK constraint the writer does not understand (it compares two columns) is registered as PostgreSQL's to judge:
 * the writer accepts what it refuses, and the worker dead-letters the entry with SQLSTATE 23514 and the constraint in
 * its reason, as before CHECK constraints were judged at the edge.
 */
class UnjudgedCheckIT {
    private static final String DOCS = "source_documents";
    private static SyncFixture fx;
    private static TableRegistry registry;

    @BeforeAll
    static void registerWithAComplexCheck() {
        fx = new SyncFixture(UnjudgedCheckIT.class.getSimpleName());
        fx.db.execute("ALTER TABLE source_documents ADD CONSTRAINT pages_within_size CHECK (page_count <= size_bytes)");
        registry = new Initializer(fx.dataSource, fx.redis.commands())
                .run(InitOptions.defaults(fx.layout).withPartitions(SyncFixture.PARTITIONS))
                .registry();
    }

    @AfterAll
    static void close() {
        fx.close();
    }

    @Test
    void complexCheck_isAcceptedByTheWriter_andDeadLetteredByTheWorkerWithItsReason() {
        Map<String, Boolean> understood = registry.table(DOCS).orElseThrow().checks().stream()
                .collect(Collectors.toMap(CheckConstraint::name, CheckConstraint::understood));
        assertThat(understood)
                .containsEntry("pages_within_size", false)
                .containsEntry("source_documents_status_check", true);

        UUID poison = UUID.randomUUID();
        WriteReceipt bad;
        try (RecordWriter writer = RecordWriter.connect(WriterSettings.of(fx.redis.url())
                .mutate()
                .prefix(fx.redis.prefix())
                .build())) {
            assertThatThrownBy(() -> writer.put(
                            DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", "a.pdf", "status", "bogus")))
                    .isInstanceOfSatisfying(
                            InvalidRecordException.class,
                            e -> assertThat(e.reason()).isEqualTo(InvalidRecordException.Reason.CHECK_VIOLATION));
            bad = writer.put(
                    DOCS, RecordKey.of(poison), Map.of("filename", "p.pdf", "page_count", 10, "size_bytes", 1L));
        }
        SyncSettings settings = SyncSettings.defaults(fx.layout)
                .mutate()
                .linger(Duration.ofMillis(10))
                .backoffInitial(Duration.ofMillis(20))
                .backoffMax(Duration.ofMillis(200))
                .build();

        try (SyncWorker worker = new SyncWorker(settings, registry, fx.dataSource, fx.redis.client())) {
            worker.start();

            await().atMost(Duration.ofSeconds(15))
                    .untilAsserted(() -> assertThat(deadLetters(bad.partition()))
                            .anySatisfy(d -> assertThat(d)
                                    .containsEntry(DeadLetterFields.ENTRY_ID, bad.entryId())
                                    .containsEntry(DeadLetterFields.SQLSTATE, "23514")
                                    .hasEntrySatisfying(
                                            DeadLetterFields.REASON,
                                            r -> assertThat(r).contains("pages_within_size"))));
        }
        assertThat(fx.row(DOCS, "document_uuid = '" + poison + "'")).isEmpty();
    }

    private static List<Map<String, String>> deadLetters(int partition) {
        return fx.redis.commands().xrange(fx.layout.deadLetters(partition), Range.create("-", "+")).stream()
                .map(StreamMessage::getBody)
                .toList();
    }
}
