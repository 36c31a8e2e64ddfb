package io.cistern.reader;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.SqlType;
import io.cistern.schema.registry.TableDef;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RecordHashTest {
    private static final TableDef DOCS = new TableDef(
            "docs",
            List.of(
                    new ColumnDef("id", SqlType.BIGINT, false, false, 0),
                    new ColumnDef("title", SqlType.TEXT, true, false, 0),
                    new ColumnDef("status", SqlType.TEXT, false, true, 0),
                    new ColumnDef("note", SqlType.TEXT, true, false, 0)),
            List.of("id"),
            1,
            Optional.empty());

    @Test
    void noHash_isNone() {
        assertThat(RecordHash.parse(Map.of()).kind()).isEqualTo(RecordHash.Kind.NONE);
    }

    @Test
    void putHash_isFull_omittedColumnsNullOrLeftToTheirDefault() {
        RecordHash h = RecordHash.parse(Map.of("v", "7", "s", "put", "c:id", "1", "c:title", "\"a\""));

        assertThat(h.kind()).isEqualTo(RecordHash.Kind.FULL);
        assertThat(h.version()).isEqualTo(7);
        // status has a database default: unknown until synced; note has none: NULL
        assertThat(h.recordColumns(DOCS))
                .containsExactly(Map.entry("id", "1"), Map.entry("title", "\"a\""), Map.entry("note", "null"));
    }

    @Test
    void patchHash_isPartial_andMergesOverTheRow() {
        RecordHash h = RecordHash.parse(Map.of("v", "9", "s", "patch", "c:title", "\"new\""));

        assertThat(h.kind()).isEqualTo(RecordHash.Kind.PARTIAL);
        assertThat(h.mergeOver(DOCS, Map.of("id", "1", "title", "\"old\"", "status", "\"done\"", "note", "null")))
                .containsExactly(
                        Map.entry("id", "1"),
                        Map.entry("title", "\"new\""),
                        Map.entry("status", "\"done\""),
                        Map.entry("note", "null"));
    }

    @Test
    void deleteMarker_isDeletedAtItsVersion() {
        RecordHash h = RecordHash.parse(Map.of("v", "4", "s", "deleted"));

        assertThat(h.kind()).isEqualTo(RecordHash.Kind.DELETED);
        assertThat(h.version()).isEqualTo(4);
    }

    @Test
    void reservation_isReserved_butPatchesOntoItMakeItPartial() {
        assertThat(RecordHash.parse(Map.of("s", "fill", "f", "token")).kind()).isEqualTo(RecordHash.Kind.RESERVED);
        assertThat(RecordHash.parse(Map.of("s", "fill", "f", "token", "v", "5", "c:title", "\"x\""))
                        .kind())
                .isEqualTo(RecordHash.Kind.PARTIAL);
    }

    @Test
    void unknownState_isNeverServedAsTheWholeRecord() {
        assertThat(RecordHash.parse(Map.of("v", "5", "s", "something-newer")).kind())
                .isEqualTo(RecordHash.Kind.PARTIAL);
    }
}
