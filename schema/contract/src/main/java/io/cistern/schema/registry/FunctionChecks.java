package io.cistern.schema.registry;

import io.cistern.schema.codec.ExactJson;
import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The CHECK conditions the Function library judges itself, as the JSON array it reads from a table's spec in the meta
 * hash: only those whose verdict a Lua script knows exactly. Lua numbers are doubles and Lua strings are bytes, so the
 * library judges {@code IN}, {@code NOT IN}, {@code =} and {@code <>} over text (byte equality, which is text equality
 * in a deterministic collation); the same and {@code <}, {@code <=}, {@code >}, {@code >=} over integer columns, with
 * constants within 2^53 (it judges a value only of at most 15 digits, and leaves longer ones to PostgreSQL); and
 * {@code IS NOT NULL}. Numeric columns, text order and {@code length()} stay with the writer and PostgreSQL.
 *
 * <p>Each condition: {@code n} the constraint, {@code c} the column, {@code k} one of {@code in}, {@code notin}, {@code
 * lt}, {@code le}, {@code gt}, {@code ge}, {@code notnull}; {@code t} {@code text} or {@code int}; {@code v} the
 * constants (text, or an integer's digits); {@code o} for {@code notnull}, whether a put that omits the column makes it
 * NULL (it has no default); {@code a} what the constraint allows, for the refusal's message.
 */
final class FunctionChecks {
    private static final BigDecimal MAX_EXACT = BigDecimal.valueOf((1L << 53) - 1);

    private FunctionChecks() {}

    /** The JSON array of {@code t}'s conditions the library judges, or empty when there are none. */
    static Optional<String> json(TableDef t) {
        ArrayNode list = ExactJson.mapper().createArrayNode();
        for (CheckConstraint check : t.checks()) {
            for (CheckCondition condition : check.conditions()) {
                ColumnDef column = t.column(condition.column()).orElseThrow();
                toJson(condition, column).ifPresent(n -> {
                    n.put("n", check.name());
                    n.put("c", column.name());
                    n.put("a", CheckConstraint.describe(condition, column.type()));
                    list.add(n);
                });
            }
        }
        return list.isEmpty()
                ? Optional.empty()
                : Optional.of(ExactJson.mapper().writeValueAsString(list));
    }

    private static Optional<ObjectNode> toJson(CheckCondition condition, ColumnDef column) {
        ObjectNode n = ExactJson.mapper().createObjectNode();
        if (condition instanceof CheckCondition.NotNull) {
            n.put("k", "notnull");
            n.put("o", !column.hasDefault());
            return Optional.of(n);
        }
        String type;
        switch (column.type()) {
            case TEXT -> type = "text";
            case SMALLINT, INTEGER, BIGINT -> type = "int";
            default -> {
                return Optional.empty();
            }
        }
        List<String> values;
        String kind;
        switch (condition) {
            case CheckCondition.In in -> {
                values = in.values();
                kind = in.negated() ? "notin" : "in";
            }
            case CheckCondition.Compare c -> {
                values = List.of(c.constant());
                kind = switch (c.op()) {
                    case EQ -> "in";
                    case NE -> "notin";
                    case LT -> "lt";
                    case LE -> "le";
                    case GT -> "gt";
                    case GE -> "ge";
                };
                if (type.equals("text") && !(kind.equals("in") || kind.equals("notin"))) {
                    return Optional.empty();
                }
            }
            default -> {
                return Optional.empty();
            }
        }
        if (type.equals("int")) {
            for (String v : values) {
                BigDecimal d = new BigDecimal(v);
                if (d.stripTrailingZeros().scale() > 0 || d.abs().compareTo(MAX_EXACT) > 0) {
                    return Optional.empty();
                }
            }
            values = values.stream()
                    .map(v -> new BigDecimal(v).toBigInteger().toString())
                    .toList();
        }
        n.put("k", kind);
        n.put("t", type);
        ArrayNode v = n.putArray("v");
        values.forEach(v::add);
        return Optional.of(n);
    }
}
