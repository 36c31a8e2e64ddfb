package io.cistern.schema.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TableDefTest {
    private static final ColumnDef DOC = new ColumnDef("document_uuid", SqlType.UUID, false, false, 0);
    private static final ColumnDef ENTITY = new ColumnDef("entity_uuid", SqlType.UUID, false, false, 0);
    private static final ColumnDef VALUE = new ColumnDef("value", SqlType.TEXT, true, false, 0);

    private static TableDef entities(List<ColumnDef> columns, List<String> key, int routing) {
        return new TableDef("entities", columns, key, routing, Optional.empty());
    }

    @Test
    void compositeKeyRoutedByLeadingColumn_isAccepted() {
        TableDef t = new TableDef(
                "entities",
                List.of(DOC, ENTITY, VALUE),
                List.of("document_uuid", "entity_uuid"),
                1,
                Optional.of("source_documents"));

        assertThat(t.keyColumns()).containsExactly(DOC, ENTITY);
        assertThat(t.isKeyColumn("entity_uuid")).isTrue();
        assertThat(t.isKeyColumn("value")).isFalse();
        assertThat(t.column("value")).contains(VALUE);
        assertThat(t.column("nope")).isEmpty();
    }

    @Test
    void tableWithoutPrimaryKey_isRefused() {
        assertThatThrownBy(() -> entities(List.of(DOC, VALUE), List.of(), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'entities' has no primary key");
    }

    @Test
    void primaryKeyColumnThatIsNotAColumn_isRefused() {
        assertThatThrownBy(() -> entities(List.of(DOC, VALUE), List.of("document_uuid", "entity_uuid"), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("primary-key column 'entity_uuid'");
    }

    @Test
    void primaryKeyListingAColumnTwice_isRefused() {
        assertThatThrownBy(() -> entities(List.of(DOC, VALUE), List.of("document_uuid", "document_uuid"), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'document_uuid'")
                .hasMessageContaining("twice");
    }

    @Test
    void duplicateColumn_isRefused() {
        assertThatThrownBy(() -> entities(List.of(DOC, VALUE, VALUE), List.of("document_uuid"), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("column 'value' twice");
    }

    @Test
    void versionColumnListedAsAColumn_isRefused() {
        ColumnDef version = new ColumnDef(TableDef.VERSION_COLUMN, SqlType.BIGINT, false, true, 0);

        assertThatThrownBy(() -> entities(List.of(DOC, version), List.of("document_uuid"), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cistern_version")
                .hasMessageContaining("Cistern owns that column");
    }

    @Test
    void routingByMoreColumnsThanTheKeyHas_isRefused() {
        assertThatThrownBy(() -> entities(List.of(DOC, ENTITY), List.of("document_uuid", "entity_uuid"), 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("routes by 3 key columns")
                .hasMessageContaining("1 to 2");
        assertThatThrownBy(() -> entities(List.of(DOC, ENTITY), List.of("document_uuid", "entity_uuid"), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("routes by 0 key columns");
    }

    @Test
    void nonPlainTableName_isRefused() {
        assertThatThrownBy(() -> new TableDef("Entities", List.of(DOC), List.of("document_uuid"), 1, Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("table name 'Entities'")
                .hasMessageContaining("plain lower-case SQL identifier");
        assertThatThrownBy(() -> new TableDef("a:b", List.of(DOC), List.of("document_uuid"), 1, Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("table name 'a:b'");
    }

    @Test
    void nonPlainColumnName_isRefused() {
        assertThatThrownBy(() -> new ColumnDef("a,b", SqlType.TEXT, true, false, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("column name 'a,b'");
        assertThatThrownBy(() -> new ColumnDef("x".repeat(64), SqlType.TEXT, true, false, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most 63 characters");
    }

    @Test
    void negativeMaxLength_isRefused() {
        assertThatThrownBy(() -> new ColumnDef("language", SqlType.TEXT, true, false, -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxLength of column 'language'");
    }

    @Test
    void columnsAndKey_areCopiedSoTheDefinitionStaysImmutable() {
        List<ColumnDef> columns = new java.util.ArrayList<>(List.of(DOC, VALUE));
        TableDef t = entities(columns, List.of("document_uuid"), 1);

        columns.add(ENTITY);

        assertThat(t.columns()).containsExactly(DOC, VALUE);
        assertThatThrownBy(() -> t.columns().add(ENTITY)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void registry_refusesATableTwiceAndABadPartitionCount() {
        TableDef t = entities(List.of(DOC), List.of("document_uuid"), 1);

        assertThatThrownBy(() -> new TableRegistry(16, List.of(t, t)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'entities' is registered twice");
        assertThatThrownBy(() -> new TableRegistry(0, List.of(t)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("between 1 and 16384, was 0");
    }

    @Test
    void registryCodec_roundTripsADefinition() {
        TableDef t = new TableDef(
                "entities",
                List.of(DOC, ENTITY, new ColumnDef("language", SqlType.TEXT, true, true, 16)),
                List.of("document_uuid", "entity_uuid"),
                1,
                Optional.of("source_documents"));

        assertThat(RegistryCodec.fromJson(RegistryCodec.toJson(t))).isEqualTo(t);
    }

    @Test
    void registryJson_keepsNumericPrecisionAndScale() {
        TableDef t = new TableDef(
                "scores",
                List.of(
                        new ColumnDef("id", SqlType.BIGINT, false, false, 0),
                        new ColumnDef("confidence", SqlType.NUMERIC, true, false, 0, 5, 4),
                        new ColumnDef("label", SqlType.TEXT, true, false, 16)),
                List.of("id"),
                1,
                Optional.empty());

        assertThat(RegistryCodec.fromJson(RegistryCodec.toJson(t))).isEqualTo(t);
    }

    @Test
    void precisionOnANonNumericColumn_isRefused() {
        assertThatThrownBy(() -> new ColumnDef("label", SqlType.TEXT, true, false, 0, 5, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("only numeric columns");
    }
}
