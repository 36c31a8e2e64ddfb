package io.cistern.sync;

import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.SqlType;
import io.cistern.schema.registry.TableDef;
import io.cistern.schema.registry.TableRegistry;
import java.util.List;
import java.util.Optional;

/** Table definitions for unit tests, shaped like the demo tables. */
final class Tables {
    static final TableDef DOCUMENTS = new TableDef(
            "source_documents",
            List.of(
                    new ColumnDef("document_uuid", SqlType.UUID, false, false, 0),
                    new ColumnDef("filename", SqlType.TEXT, false, false, 0),
                    new ColumnDef("status", SqlType.TEXT, false, true, 0),
                    new ColumnDef("page_count", SqlType.INTEGER, true, false, 0)),
            List.of("document_uuid"),
            1,
            Optional.empty());
    static final TableDef ENTITIES = new TableDef(
            "entities",
            List.of(
                    new ColumnDef("document_uuid", SqlType.UUID, false, false, 0),
                    new ColumnDef("entity_uuid", SqlType.UUID, false, false, 0),
                    new ColumnDef("value", SqlType.TEXT, true, false, 0)),
            List.of("document_uuid", "entity_uuid"),
            1,
            Optional.of("source_documents"));
    static final TableDef COUNTERS = new TableDef(
            "counters",
            List.of(
                    new ColumnDef("id", SqlType.BIGINT, false, false, 0),
                    new ColumnDef("a", SqlType.TEXT, true, false, 0),
                    new ColumnDef("b", SqlType.TEXT, true, false, 0),
                    new ColumnDef("c", SqlType.TEXT, true, true, 0)),
            List.of("id"),
            1,
            Optional.empty());
    static final TableRegistry REGISTRY = new TableRegistry(16, List.of(ENTITIES, COUNTERS, DOCUMENTS));

    private Tables() {}
}
