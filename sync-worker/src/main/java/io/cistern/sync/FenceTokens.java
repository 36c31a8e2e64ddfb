package io.cistern.sync;

import static org.jooq.impl.DSL.field;
import static org.jooq.impl.DSL.name;
import static org.jooq.impl.DSL.table;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.jooq.Field;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Issues fencing tokens from PostgreSQL: {@code UPDATE cistern_partition SET fence_token = fence_token + 1 ...
 * RETURNING fence_token}. Because the counter lives in the database the batches commit to, losing Redis data can
 * never reissue an old token, and taking a token waits for the previous owner's open transaction (it holds the row
 * lock) and makes its later fence checks fail. Thread-safe.
 */
final class FenceTokens {
    private static final Field<Long> FENCE_TOKEN = field(name("fence_token"), SQLDataType.BIGINT);
    private static final Field<Long> VERSION_FLOOR = field(name("version_floor"), SQLDataType.BIGINT);
    private static final Field<String> APPLIED_WATERMARK = field(name("applied_watermark"), SQLDataType.VARCHAR);
    private static final Field<Integer> PARTITION = field(name("partition"), SQLDataType.INTEGER);

    private final DataSource dataSource;
    /**
     * How long the grant waits for an answer ({@link ResponseBound#limit}); zero for the socket timeout. The lease
     * thread takes tokens: on a dead path it must give the lease back in seconds, not hang while every lease it holds
     * expires. A grant abandoned this way may still commit its increment, which only makes a later token larger.
     */
    private final java.time.Duration responseBound;

    FenceTokens(DataSource dataSource) {
        this(dataSource, java.time.Duration.ZERO);
    }

    FenceTokens(DataSource dataSource, java.time.Duration responseBound) {
        this.dataSource = dataSource;
        this.responseBound = responseBound;
    }

    /**
     * A new token for a partition, and the partition's version floor and applied watermark (the stream entry ID up to
     * which every entry is applied or dead-lettered) read in the same statement: after the increment no transaction
     * with an older token commits, so neither can rise behind the new owner's back.
     */
    record Grant(long token, long versionFloor, String appliedWatermark) {}

    /** As {@link #next(int)}, also returning the partition's version floor. */
    Grant grant(int partition) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            ResponseBound.limit(connection, responseBound);
            connection.setAutoCommit(true);
            org.jooq.Record3<Long, Long, String> row = DSL.using(connection, SQLDialect.POSTGRES)
                    .update(table(name("cistern_partition")))
                    .set(FENCE_TOKEN, FENCE_TOKEN.plus(1))
                    .set(field(name("updated_at"), SQLDataType.TIMESTAMPWITHTIMEZONE), DSL.currentOffsetDateTime())
                    .where(PARTITION.eq(partition))
                    .returningResult(FENCE_TOKEN, VERSION_FLOOR, APPLIED_WATERMARK)
                    .fetchOne();
            if (row == null) {
                throw new IllegalStateException("partition " + partition
                        + " has no row in cistern_partition: run `ops/cistern init` with the right partition count");
            }
            return new Grant(row.value1(), row.value2(), row.value3());
        }
    }

    /**
     * A new token for {@code partition}; every token issued before it is stale from now on.
     *
     * @throws IllegalStateException when the partition has no row (Cistern is not initialised with that many)
     */
    long next(int partition) throws SQLException {
        return grant(partition).token();
    }
}
