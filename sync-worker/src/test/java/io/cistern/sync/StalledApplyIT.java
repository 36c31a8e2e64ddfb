package io.cistern.sync;

import static io.cistern.schema.codec.Operation.PUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.schema.codec.ChangeEntry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The applier's response bound against a real PostgreSQL that is alive but slow: a statement that outlasts the bound
 * is abandoned (its transaction still open on the server, holding its row locks), and the next attempt ends that
 * session before it runs, so it neither waits behind the abandoned locks nor applies anything twice.
 */
class StalledApplyIT {
    private static final String DOCS = "source_documents";
    private static SyncFixture fx;
    private static BatchApplier applier;
    private static long token;

    @BeforeAll
    static void start() throws Exception {
        fx = new SyncFixture(StalledApplyIT.class.getSimpleName());
        try (var c = fx.dataSource.getConnection();
                var s = c.createStatement()) {
            // A row named slow.pdf takes 2 s to insert: a batch that is slow while the server is alive.
            s.execute("CREATE FUNCTION slow_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                    + " IF NEW.filename = 'slow.pdf' THEN PERFORM pg_sleep(2); END IF; RETURN NEW; END $$");
            s.execute("CREATE TRIGGER slow_insert BEFORE INSERT ON source_documents FOR EACH ROW"
                    + " EXECUTE FUNCTION slow_insert()");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        applier = new BatchApplier(fx.dataSource, fx.registry);
        token = new FenceTokens(fx.dataSource).next(0);
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    @Test
    void statementOutlastingTheBound_isAbandoned_andTheNextAttemptEndsTheAbandonedSessionThenCommitsOnce() {
        String doc = UUID.randomUUID().toString();
        ChangeEntry slow = fx.entry(DOCS, doc, PUT, 1, Map.of("filename", "\"slow.pdf\""));

        // when the bound (1 s) is shorter than the statement (2 s)
        long start = System.nanoTime();
        assertThatThrownBy(() -> apply(slow, Duration.ofSeconds(1)))
                .isInstanceOfSatisfying(
                        BatchFailedException.class, e -> assertThat(e.stalled()).isTrue())
                .hasMessageContaining("no answer within the response bound; connection abandoned");
        // then the attempt gives up at the bound, not when the statement ends
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1_900));

        // when the batch is tried again with the bound doubled twice (as after stalls), beyond the statement's time
        start = System.nanoTime();
        ApplyResult result = apply(slow, Duration.ofSeconds(4));

        // then it commits within one statement's time: it did not wait behind the abandoned session's row lock (that
        // session, idle in its transaction after its sleep, was ended first); and the row is there once
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(3_900));
        assertThat(result.deadLetters()).isEmpty();
        assertThat(fx.row(DOCS, "document_uuid = '" + doc + "'"))
                .hasValueSatisfying(row ->
                        assertThat(row).containsEntry("filename", "slow.pdf").containsEntry("cistern_version", "1"));
        assertThat(fx.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        + " AND state LIKE 'idle in transaction%'"))
                .isEqualTo("0");
    }

    @Test
    void fastStatement_isNotAbandoned() {
        String doc = UUID.randomUUID().toString();

        ApplyResult result =
                apply(fx.entry(DOCS, doc, PUT, 1, Map.of("filename", "\"fast.pdf\"")), Duration.ofSeconds(1));

        assertThat(result.deadLetters()).isEmpty();
        assertThat(fx.row(DOCS, "document_uuid = '" + doc + "'")).isPresent();
    }

    private static ApplyResult apply(ChangeEntry entry, Duration bound) {
        return applier.apply(0, token, List.of(entry), List.of(), 1, false, d -> {}, bound);
    }
}
