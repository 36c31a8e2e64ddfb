package io.cistern.reader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.writer.RecordKey;
import io.cistern.writer.WriteReceipt;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What each tier answers, and that no tier answers older than written. */
class CachedReaderIT {
    private static ReaderFixture cistern;
    private static CachedReader reader;

    @BeforeAll
    static void start() {
        cistern = ReaderFixture.shared("CachedReaderIT");
        reader = cistern.reader();
    }

    @AfterAll
    static void stop() {
        cistern.close();
    }

    private static String newKey() {
        return UUID.randomUUID().toString();
    }

    @Test
    void recordWrittenButNotSynced_isAnsweredByRedisThenByTheLocalCache() {
        // given a put that no worker has synced
        String id = newKey();
        WriteReceipt put = cistern.writer.put(
                "source_documents", RecordKey.of(UUID.fromString(id)), Map.of("filename", "a.pdf", "status", "done"));

        // when it is read twice
        ReadResult first = reader.get("source_documents", id);
        ReadResult second = reader.get("source_documents", id);

        // then Redis answers first, the local cache next, both with the write's version and values
        assertThat(first.tier()).isEqualTo(Tier.REDIS);
        assertThat(second.tier()).isEqualTo(Tier.LOCAL);
        for (ReadResult r : List.of(first, second)) {
            ReadResult.Found found = (ReadResult.Found) r;
            assertThat(found.version()).isEqualTo(put.version());
            assertThat(found.value("filename")).isEqualTo("a.pdf");
            assertThat(found.value("status")).isEqualTo("done");
            // omitted, nullable and without default: NULL; omitted with a default (created_at): not known yet
            assertThat(found.columns()).containsEntry("size_bytes", "null").doesNotContainKey("created_at");
            // ... and says so; the key column comes from the key, as the database tier gives it
            assertThat(found.pending()).containsExactly("created_at", "updated_at");
            assertThat(found.columns()).containsEntry("document_uuid", "\"" + id + "\"");
        }
        assertThat(cistern.scalar("SELECT count(*) FROM source_documents WHERE document_uuid = '" + id + "'"))
                .isEqualTo("0");
    }

    @Test
    void rowOnlyInPostgres_isAnsweredByTheDatabaseAndCopiedIntoRedisWithATtl() {
        // given a row that never went through Redis
        String id = newKey();
        cistern.insertDocument(id, "old.pdf", "registered", 0);

        // when a reader misses it, and a second instance reads it too
        ReadResult first = reader.get("source_documents", id);
        ReadResult fromOtherInstance = cistern.reader().get("source_documents", id);

        // then PostgreSQL answers the first, with every column, and Redis holds the copy for the others
        assertThat(first.tier()).isEqualTo(Tier.DATABASE);
        ReadResult.Found found = (ReadResult.Found) first;
        assertThat(found.value("filename")).isEqualTo("old.pdf");
        assertThat(found.value("size_bytes")).isEqualTo(1234L);
        assertThat(found.columns()).containsKey("created_at");
        assertThat(fromOtherInstance.tier()).isEqualTo(Tier.REDIS);
        assertThat(((ReadResult.Found) fromOtherInstance).columns()).isEqualTo(found.columns());
        String recordKey = cistern.recordKey("source_documents", id);
        assertThat(cistern.redis().hget(recordKey, "s")).isEqualTo("put");
        assertThat(cistern.redis().pttl(recordKey)).isPositive();
    }

    @Test
    void aColumnDroppedAndRegisteredAgain_isReadByTheNewDefinitionWithinSeconds_withoutAMissOrARestart() {
        // given a table the running reader has read (so it knows its columns), with a row only PostgreSQL holds
        String table = "followed_" + Long.toHexString(System.nanoTime());
        cistern.sql(
                "CREATE TABLE " + table + " (id bigint PRIMARY KEY, keep text, gone text)",
                "INSERT INTO " + table + " VALUES (1, 'a', 'b'), (2, 'c', 'd')");
        cistern.register(Map.of(table, ""));
        CachedReader following = cistern.reader();
        assertThat(((ReadResult.Found) following.get(table, "1")).columns()).containsKey("gone");

        // when a column is dropped and the table registered again
        cistern.sql("ALTER TABLE " + table + " DROP COLUMN gone");
        cistern.register(Map.of(table, ""));

        // then the reader follows the registry's publication counter: its database reads name only the columns the
        // table has, within a couple of its one-second ticks, with no unknown table or column to trigger a reload
        // (until then a read of the database tier fails naming the mismatch, as it does between the ALTER and init)
        await().atMost(Duration.ofSeconds(5)).ignoreExceptions().untilAsserted(() -> {
            ReadResult r = following.get(table, "2");
            assertThat(r.tier()).isEqualTo(Tier.DATABASE);
            assertThat(((ReadResult.Found) r).columns()).containsKey("keep").doesNotContainKey("gone");
        });
    }

    @Test
    void deletedButNotSynced_readsAsAbsentAtTheDeleteVersion() {
        // given a row in PostgreSQL, and a delete of it that is not synced
        String id = newKey();
        cistern.insertDocument(id, "gone.pdf", "done", 0);
        WriteReceipt delete = cistern.writer.delete("source_documents", RecordKey.of(UUID.fromString(id)));

        // when it is read
        ReadResult result = reader.get("source_documents", id);

        // then it is absent, answered by Redis, though PostgreSQL still has the row
        assertThat(result).isEqualTo(new ReadResult.Absent("source_documents", id, delete.version(), Tier.REDIS));
        assertThat(cistern.scalar("SELECT filename FROM source_documents WHERE document_uuid = '" + id + "'"))
                .isEqualTo("gone.pdf");
    }

    @Test
    void partialHash_isCompletedFromTheDatabaseRow_neverServedAsTheWholeRecord() {
        // given a synced row whose hash is gone, then a patch of one column (the hash holds only that column)
        String id = newKey();
        cistern.insertDocument(id, "scan.pdf", "registered", 0);
        WriteReceipt patch = cistern.writer.patch(
                "source_documents", RecordKey.of(UUID.fromString(id)), Map.of("status", "processing"));
        assertThat(cistern.hash("source_documents", id))
                .containsEntry("s", "patch")
                .doesNotContainKey("c:filename");

        // when it is read, twice
        ReadResult result = reader.get("source_documents", id);
        ReadResult again = reader.get("source_documents", id);

        // then the answer is the row with the patch applied, at the patch's version
        ReadResult.Found found = (ReadResult.Found) result;
        assertThat(found.tier()).isEqualTo(Tier.DATABASE);
        assertThat(found.version()).isEqualTo(patch.version());
        assertThat(found.value("status")).isEqualTo("processing");
        assertThat(found.value("filename")).isEqualTo("scan.pdf");
        assertThat(found.value("size_bytes")).isEqualTo(1234L);
        assertThat(((ReadResult.Found) again).columns()).isEqualTo(found.columns());
        // and the partial hash was left as it was: no fill over unsynced state
        assertThat(cistern.hash("source_documents", id))
                .containsEntry("s", "patch")
                .doesNotContainKey("c:filename");
    }

    @Test
    void patchOfARecordThatDoesNotExist_readsAsAbsent() {
        // given a patch of a key that has no row (the sync worker will dead-letter it as "record absent")
        String id = newKey();
        cistern.writer.patch("source_documents", RecordKey.of(UUID.fromString(id)), Map.of("status", "done"));

        // when it is read
        ReadResult result = reader.get("source_documents", id);

        // then it is absent: a partial hash alone is never a record
        assertThat(result.found()).isFalse();
        assertThat(result.tier()).isEqualTo(Tier.DATABASE);
    }

    @Test
    void neverWritten_isAbsentCachedBriefly_andAWriteMakesItAppear() {
        // given a reader that caches absent answers for 60 s
        CachedReader negative = cistern.reader(cistern.settings()
                .mutate()
                .negativeCacheTtl(Duration.ofSeconds(60))
                .build());
        String id = newKey();

        // when a missing record is read twice
        ReadResult first = negative.get("source_documents", id);
        ReadResult second = negative.get("source_documents", id);

        // then PostgreSQL answers once, the local cache next
        assertThat(first).isEqualTo(new ReadResult.Absent("source_documents", id, 0, Tier.DATABASE));
        assertThat(second.tier()).isEqualTo(Tier.LOCAL);
        assertThat(second.found()).isFalse();
        // and the reservation it made was released: nothing left in Redis
        assertThat(cistern.hash("source_documents", id)).isEmpty();

        // when the record is then written, the cached "absent" is invalidated long before its 60 s
        WriteReceipt put = cistern.writer.put(
                "source_documents", RecordKey.of(UUID.fromString(id)), Map.of("filename", "new.pdf"));
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(
                        () -> assertThat(negative.get("source_documents", id).version())
                                .isEqualTo(put.version()));
    }

    @Test
    void syncedDelete_readsAsAbsentWithTheTombstoneVersion() {
        // given a record deleted in PostgreSQL with a tombstone, and no hash
        String id = newKey();
        cistern.sql("INSERT INTO cistern_tombstone (table_name, record_key, version) VALUES ('source_documents', '" + id
                + "', 42)");

        // when it is read
        ReadResult result = reader.get("source_documents", id);

        // then it is absent at the delete's version
        assertThat(result).isEqualTo(new ReadResult.Absent("source_documents", id, 42, Tier.DATABASE));
    }

    @Test
    void compositeKey_isReadInItsEncodedForm() {
        // given a document and one of its entities, routed by the document
        UUID doc = UUID.randomUUID();
        UUID entity = UUID.randomUUID();
        cistern.writer.put("source_documents", RecordKey.of(doc), Map.of("filename", "d.pdf"));
        cistern.writer.put("entities", RecordKey.of(doc, entity), Map.of("entity_type", "iban", "value", "DE89"));

        // when it is read by its encoded key
        String key = reader.key("entities", doc, entity);
        ReadResult result = reader.get("entities", key);

        // then it is found, with every key column (the hash holds none of them)
        assertThat(key).isEqualTo(doc + "," + entity);
        assertThat(((ReadResult.Found) result).value("value")).isEqualTo("DE89");
        assertThat(((ReadResult.Found) result).value("document_uuid")).isEqualTo(doc);
        assertThat(((ReadResult.Found) result).value("entity_uuid")).isEqualTo(entity);
    }

    @Test
    void batch_answersInOrderFromEveryTier() {
        // given one record only in Redis, one only in PostgreSQL, one missing, and one cached locally
        String inRedis = newKey();
        String inDatabase = newKey();
        String missing = newKey();
        String cached = newKey();
        cistern.writer.put("source_documents", RecordKey.of(UUID.fromString(inRedis)), Map.of("filename", "r.pdf"));
        cistern.insertDocument(inDatabase, "d.pdf", "done", 0);
        cistern.writer.put("source_documents", RecordKey.of(UUID.fromString(cached)), Map.of("filename", "c.pdf"));
        reader.get("source_documents", cached);

        // when they are read in one batch (one key twice)
        List<ReadResult> results =
                reader.getAll("source_documents", List.of(inRedis, inDatabase, missing, cached, inRedis));

        // then each is answered in order, by its tier
        assertThat(results).extracting(ReadResult::key).containsExactly(inRedis, inDatabase, missing, cached, inRedis);
        assertThat(results)
                .extracting(ReadResult::tier)
                .containsExactly(Tier.REDIS, Tier.DATABASE, Tier.DATABASE, Tier.LOCAL, Tier.REDIS);
        assertThat(results).extracting(ReadResult::found).containsExactly(true, true, false, true, true);
        assertThat(((ReadResult.Found) results.get(1)).value("filename")).isEqualTo("d.pdf");
    }

    @Test
    void badInput_isRefusedNamingTheProblem() {
        assertThatThrownBy(() -> reader.get("no_such_table", "1"))
                .isInstanceOfSatisfying(
                        InvalidRecordException.class,
                        e -> assertThat(e.reason()).isEqualTo(InvalidRecordException.Reason.UNKNOWN_TABLE))
                .hasMessageContaining("no_such_table");
        assertThatThrownBy(() -> reader.get("source_document", "1"))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("did you mean 'source_documents'?");
        assertThatThrownBy(() -> reader.get("source_documents", "not-a-uuid"))
                .isInstanceOfSatisfying(
                        InvalidRecordException.class,
                        e -> assertThat(e.reason()).isEqualTo(InvalidRecordException.Reason.MALFORMED_KEY))
                .hasMessageContaining("document_uuid");
        assertThatThrownBy(() -> reader.get(
                        "source_documents", UUID.randomUUID().toString().toUpperCase()))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("canonical");
        assertThatThrownBy(() -> reader.get("entities", UUID.randomUUID().toString()))
                .isInstanceOfSatisfying(
                        InvalidRecordException.class,
                        e -> assertThat(e.reason()).isEqualTo(InvalidRecordException.Reason.MISSING_KEY));
    }

    @Test
    void resp2Connection_isRefusedAtStart_becauseInvalidationsNeedRESP3() {
        // A client can be handed in only for one server; on a cluster the reader opens its own (RESP3) connection.
        assumeFalse(cistern.onCluster());
        // given a client forced to RESP2, where Redis cannot push invalidations on the reading connection
        io.lettuce.core.RedisClient resp2 =
                io.cistern.connections.RedisClients.create(io.cistern.connections.RedisSettings.of(cistern.redisUrl));
        resp2.setOptions(io.lettuce.core.ClientOptions.builder()
                .protocolVersion(io.lettuce.core.protocol.ProtocolVersion.RESP2)
                .build());
        try {
            // when a reader starts on it, then it refuses, saying what to change
            assertThatThrownBy(() -> CachedReader.create(cistern.settings(), resp2, cistern.dataSource))
                    .isInstanceOfSatisfying(
                            io.cistern.schema.failure.PermanentException.class,
                            e -> assertThat(e.code()).isEqualTo("TRACKING_UNAVAILABLE"))
                    .hasMessageContaining("RESP3");
        } finally {
            resp2.shutdown();
        }
    }

    @Test
    void meters_countReadsPerTierAndDatabaseQueries() {
        // given a reader with its own meters
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        CachedReader metered =
                cistern.reader(cistern.settings(), cistern.dataSource, meters, LettuceCachedReader.Hooks.NONE);
        String id = newKey();
        cistern.insertDocument(id, "m.pdf", "done", 0);

        // when the record is read twice
        metered.get("source_documents", id);
        metered.get("source_documents", id);

        // then one read was answered by PostgreSQL, one locally, after one query and one fill
        assertThat(meters.get("cistern.proxy.reads")
                        .tag("tier", "database")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(meters.get("cistern.proxy.reads")
                        .tag("tier", "local")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(meters.get("cistern.proxy.lookups")
                        .tag("tier", "local")
                        .tag("result", "miss")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(meters.get("cistern.proxy.database.queries")
                        .tag("outcome", "ok")
                        .timer()
                        .count())
                .isEqualTo(1);
        assertThat(meters.get("cistern.proxy.fills")
                        .tag("outcome", "filled")
                        .counter()
                        .count())
                .isEqualTo(1);
    }
}
