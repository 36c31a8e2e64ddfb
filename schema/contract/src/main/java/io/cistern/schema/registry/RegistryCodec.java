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

    /**
     * The generation of a table's registration: the first 16 hex digits of the SHA-256 of its JSON exactly as stored in
     * the registry hash. The publisher computes it from the text it stores and a reader from the text it reads, so
     * the two agree without the JSON having to survive a round trip; any change of the definition (a column added,
     * dropped or retyped, a CHECK) changes it.
     */
    public static String generation(String storedJson) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(storedJson.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
        }
    }

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
        if (!t.checks().isEmpty()) {
            ArrayNode checks = root.putArray("checks");
            for (CheckConstraint check : t.checks()) {
                ObjectNode n = checks.addObject();
                n.put("name", check.name());
                n.put("definition", check.definition());
                ArrayNode conditions = n.putArray("conditions");
                check.conditions().forEach(c -> conditions.add(conditionJson(c)));
            }
        }
        return ExactJson.mapper().writeValueAsString(root);
    }

    private static ObjectNode conditionJson(CheckCondition condition) {
        ObjectNode n = ExactJson.mapper().createObjectNode();
        n.put("column", condition.column());
        switch (condition) {
            case CheckCondition.Compare c -> {
                n.put("kind", "compare");
                n.put("op", c.op().symbol());
                n.put("value", c.constant());
            }
            case CheckCondition.In in -> {
                n.put("kind", in.negated() ? "notIn" : "in");
                ArrayNode values = n.putArray("values");
                in.values().forEach(values::add);
            }
            case CheckCondition.NotNull nn -> n.put("kind", "notNull");
            case CheckCondition.Length l -> {
                n.put("kind", "length");
                n.put("op", l.op().symbol());
                n.put("value", l.length());
            }
        }
        return n;
    }

    private static CheckCondition condition(JsonNode n) {
        String column = n.get("column").stringValue();
        String kind = n.get("kind").stringValue();
        return switch (kind) {
            case "compare" ->
                new CheckCondition.Compare(column, op(n), n.get("value").stringValue());
            case "in", "notIn" -> {
                List<String> values = new ArrayList<>();
                n.get("values").forEach(v -> values.add(v.stringValue()));
                yield new CheckCondition.In(column, values, kind.equals("notIn"));
            }
            case "notNull" -> new CheckCondition.NotNull(column);
            case "length" ->
                new CheckCondition.Length(column, op(n), n.get("value").asLong());
            default -> throw new IllegalArgumentException("registry names unknown CHECK condition kind " + kind);
        };
    }

    private static CheckCondition.Comparison op(JsonNode n) {
        String symbol = n.get("op").stringValue();
        CheckCondition.Comparison op = CheckCondition.Comparison.of(symbol);
        if (op == null) {
            throw new IllegalArgumentException("registry names unknown comparison " + symbol);
        }
        return op;
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
        // A registry published before CHECK constraints were carried has no "checks": the table has none to judge.
        List<CheckConstraint> checks = new ArrayList<>();
        for (JsonNode n : root.path("checks")) {
            List<CheckCondition> conditions = new ArrayList<>();
            n.path("conditions").forEach(c -> conditions.add(condition(c)));
            checks.add(new CheckConstraint(
                    n.get("name").stringValue(), n.get("definition").stringValue(), conditions));
        }
        return new TableDef(
                root.get("name").stringValue(),
                columns,
                pk,
                root.get("routingColumns").asInt(),
                parent == null || parent.isNull() ? Optional.empty() : Optional.of(parent.stringValue()),
                checks);
    }
}
