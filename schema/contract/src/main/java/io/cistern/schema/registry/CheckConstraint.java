package io.cistern.schema.registry;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A table's CHECK constraint as the catalog holds it, with the conditions Cistern judges itself when it understood
 * the constraint ({@link CheckParser}): then the constraint is the AND of {@link #conditions()}. A constraint Cistern
 * did not understand has none, and is left to PostgreSQL (a write it refuses is dead-lettered with SQLSTATE 23514).
 *
 * <p>Judged with SQL's rules: a CHECK refuses only a row for which it is FALSE, so a NULL passes every condition but
 * {@code IS NOT NULL}; a column the write does not carry (a patch, or a put leaving it to its default) is unknown and
 * passes too. Numbers compare exactly ({@link BigDecimal}); text only by equality, which does not depend on the
 * collation (for a deterministic one); lengths count characters (code points), not bytes. Immutable.
 *
 * @param name the constraint's name
 * @param definition the constraint as {@code pg_get_constraintdef} prints it
 * @param conditions the conditions all of which must hold, or none when Cistern leaves the constraint to PostgreSQL
 */
public record CheckConstraint(String name, String definition, List<CheckCondition> conditions) {
    public CheckConstraint {
        Objects.requireNonNull(name, "constraint name must not be null");
        Objects.requireNonNull(definition, "constraint definition must not be null");
        conditions = List.copyOf(conditions);
    }

    /** Whether Cistern judges this constraint itself. */
    public boolean understood() {
        return !conditions.isEmpty();
    }

    /**
     * The first condition that {@code values} make FALSE, or empty when the constraint holds or cannot be known.
     *
     * @param table the table, for each column's type
     * @param values the row's columns that the write carries: a column present with a null value is NULL; else its
     *     canonical text (text as is, a number's plain digits such as {@code -1.50}); an absent column is unknown
     */
    public Optional<CheckCondition> violatedBy(TableDef table, Map<String, String> values) {
        for (CheckCondition c : conditions) {
            if (isFalse(table, c, values)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    private static boolean isFalse(TableDef table, CheckCondition condition, Map<String, String> values) {
        String column = condition.column();
        if (!values.containsKey(column)) {
            return false;
        }
        String value = values.get(column);
        if (value == null) {
            return condition instanceof CheckCondition.NotNull;
        }
        Optional<SqlType> type = table.column(column).map(ColumnDef::type);
        if (type.isEmpty()) {
            return false;
        }
        boolean text = type.get() == SqlType.TEXT;
        return switch (condition) {
            case CheckCondition.NotNull n -> false;
            case CheckCondition.Length l ->
                text && !l.op().holds(Long.compare(value.codePointCount(0, value.length()), l.length()));
            case CheckCondition.Compare cmp -> {
                if (text) {
                    yield (cmp.op() == CheckCondition.Comparison.EQ || cmp.op() == CheckCondition.Comparison.NE)
                            && !cmp.op().holds(value.equals(cmp.constant()) ? 0 : 1);
                }
                BigDecimal number = number(value);
                yield number != null && !cmp.op().holds(number.compareTo(new BigDecimal(cmp.constant())));
            }
            case CheckCondition.In in -> {
                boolean member;
                if (text) {
                    member = in.values().contains(value);
                } else {
                    BigDecimal number = number(value);
                    if (number == null) {
                        yield false;
                    }
                    member = in.values().stream().anyMatch(v -> number.compareTo(new BigDecimal(v)) == 0);
                }
                yield member == in.negated();
            }
        };
    }

    /** The number {@code text} holds, or null for what is no finite number ({@code NaN}, {@code Infinity}). */
    private static BigDecimal number(String text) {
        try {
            return new BigDecimal(text);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * What {@code condition} allows, for a refusal's message: {@code status IN ('new', 'done')}; text constants quoted
     * as SQL writes them, numbers as they are.
     */
    public static String describe(CheckCondition condition, SqlType columnType) {
        boolean text = columnType == SqlType.TEXT;
        return switch (condition) {
            case CheckCondition.NotNull n -> n.column() + " IS NOT NULL";
            case CheckCondition.Length l -> "length(" + l.column() + ") " + l.op().symbol() + " " + l.length();
            case CheckCondition.Compare c -> c.column() + " " + c.op().symbol() + " " + literal(c.constant(), text);
            case CheckCondition.In in ->
                in.column() + (in.negated() ? " NOT IN (" : " IN (")
                        + String.join(
                                ", ",
                                in.values().stream().map(v -> literal(v, text)).toList())
                        + ")";
        };
    }

    private static String literal(String constant, boolean text) {
        return text ? "'" + constant.replace("'", "''") + "'" : constant;
    }
}
