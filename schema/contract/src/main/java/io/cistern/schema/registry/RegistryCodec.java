package io.cistern.schema.registry;

import io.cistern.schema.codec.ExactJson;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** The JSON form of a {@link TableDef}, as stored in the registry hash in Redis. */
public final class RegistryCodec {
    private RegistryCodec() {}

    public static String toJson(TableDef t) {
        ObjectNode root = ExactJson.mapper().createObjectNode();
        root.put("name", t.name());
        ArrayNode pk = root.putArray("primaryKey");
        t.primaryKey().forEach(pk::add);
        root.put("routingColumns", t.routingColumns());
        t.parent().ifPresent(p -> root.put("parent", p));
        ArrayNode cols = root.putArray("columns");
        for (ColumnDef c : t.columns()) {
            ObjectNode n = cols.addObject();
            n.put("name", c.name());
            n.put("type", c.type().sqlName());
            n.put("nullable", c.nullable());
            n.put("hasDefault", c.hasDefault());
            if (c.maxLength() > 0) {
                n.put("maxLength", c.maxLength());
            }
            if (c.precision() > 0) {
                n.put("precision", c.precision());
                n.put("scale", c.scale());
            }
        }
        return ExactJson.mapper().writeValueAsString(root);
    }

    public static TableDef fromJson(String json) {
        JsonNode root = ExactJson.mapper().readTree(json);
        List<ColumnDef> columns = new ArrayList<>();
        for (JsonNode n : root.get("columns")) {
            String typeName = n.get("type").stringValue();
            SqlType type = SqlType.fromCatalogName(typeName)
                    .orElseThrow(() -> new IllegalArgumentException("registry names unknown type " + typeName));
            columns.add(new ColumnDef(
                    n.get("name").stringValue(),
                    type,
                    n.get("nullable").booleanValue(),
                    n.get("hasDefault").booleanValue(),
                    n.path("maxLength").asInt(0),
                    n.path("precision").asInt(0),
                    n.path("scale").asInt(-1)));
        }
        List<String> pk = new ArrayList<>();
        root.get("primaryKey").forEach(k -> pk.add(k.stringValue()));
        JsonNode parent = root.get("parent");
        return new TableDef(
                root.get("name").stringValue(),
                columns,
                pk,
                root.get("routingColumns").asInt(),
                parent == null || parent.isNull() ? Optional.empty() : Optional.of(parent.stringValue()));
    }
}
