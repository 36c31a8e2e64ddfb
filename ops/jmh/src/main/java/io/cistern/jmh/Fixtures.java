package io.cistern.jmh;

import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.SqlType;
import io.cistern.schema.registry.TableDef;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The record the benchmarks work on: the demo table {@code source_documents} as the bench scenarios write it (two
 * 32-byte texts, a status, two integers), plus a numeric, a timestamptz and a jsonb column so that every codec path that
 * is more than a string copy is measured too.
 */
public final class Fixtures {
    private Fixtures() {}

    public static final String TABLE = "source_documents";

    public static TableDef table() {
        return new TableDef(
                TABLE,
                List.of(
                        new ColumnDef("document_uuid", SqlType.UUID, false, false, 0),
                        new ColumnDef("filename", SqlType.TEXT, false, false, 0),
                        new ColumnDef("status", SqlType.TEXT, false, true, 0),
                        new ColumnDef("size_bytes", SqlType.BIGINT, true, false, 0),
                        new ColumnDef("page_count", SqlType.INTEGER, true, false, 0),
                        new ColumnDef("storage_uri", SqlType.TEXT, true, false, 0),
                        new ColumnDef("confidence", SqlType.NUMERIC, true, false, 0),
                        new ColumnDef("updated_at", SqlType.TIMESTAMPTZ, true, false, 0),
                        new ColumnDef("metadata", SqlType.JSONB, true, false, 0)),
                List.of("document_uuid"),
                1,
                Optional.empty());
    }

    /** The five columns the bench scenarios put. */
    public static Map<String, Object> benchColumns(int i) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("filename", pad("doc-" + i + "-", 32));
        c.put("page_count", i % 1_000);
        c.put("size_bytes", 1_000_000L + i);
        c.put("status", "done");
        c.put("storage_uri", pad("s3://bench/" + i + "/", 32));
        return c;
    }

    /** The three columns with parsing beyond a string: numeric, timestamptz, jsonb. */
    public static Map<String, Object> richColumns(int i) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("confidence", new BigDecimal("0.97" + (i % 10)));
        c.put("updated_at", Instant.ofEpochSecond(1_795_000_000L + i, 123_456_000));
        c.put("metadata", "{\"pages\":[1,2,3],\"lang\":\"en\",\"score\":0.5}");
        return c;
    }

    public static UUID key(int i) {
        return new UUID(0x5eed_0000_0000_0000L, i);
    }

    private static String pad(String prefix, int width) {
        return prefix.length() >= width ? prefix.substring(0, width) : prefix + "x".repeat(width - prefix.length());
    }
}
