package io.cistern.schema.registry;

import java.util.List;
import java.util.Objects;

/**
 * One condition of a CHECK constraint that Cistern judges exactly, on one column. A constraint is the AND of its
 * conditions. Constants are kept as PostgreSQL prints them once unquoted: a number's digits ({@code -1.5}) or a text
 * literal's characters. Whether the column is compared as a number or as text follows its {@link SqlType}.
 */
public sealed interface CheckCondition {
    /** The column this condition reads. */
    String column();

    /** A comparison operator as PostgreSQL spells it. */
    enum Comparison {
        EQ("="),
        NE("<>"),
        LT("<"),
        LE("<="),
        GT(">"),
        GE(">=");

        private final String symbol;

        Comparison(String symbol) {
            this.symbol = symbol;
        }

        public String symbol() {
            return symbol;
        }

        /** The operator spelt {@code symbol}, or null. */
        public static Comparison of(String symbol) {
            for (Comparison c : values()) {
                if (c.symbol.equals(symbol)) {
                    return c;
                }
            }
            return symbol.equals("!=") ? NE : null;
        }

        /** The operator with its operands swapped: {@code 0 < n} is {@code n > 0}. */
        public Comparison flipped() {
            return switch (this) {
                case LT -> GT;
                case LE -> GE;
                case GT -> LT;
                case GE -> LE;
                default -> this;
            };
        }

        /** Whether {@code a <op> b}, given {@code a.compareTo(b)}. */
        public boolean holds(int cmp) {
            return switch (this) {
                case EQ -> cmp == 0;
                case NE -> cmp != 0;
                case LT -> cmp < 0;
                case LE -> cmp <= 0;
                case GT -> cmp > 0;
                case GE -> cmp >= 0;
            };
        }
    }

    /** {@code column <op> constant}; on text only {@code =} and {@code <>}, whose outcome does not hang on collation. */
    record Compare(String column, Comparison op, String constant) implements CheckCondition {
        public Compare {
            Objects.requireNonNull(column, "column");
            Objects.requireNonNull(op, "op");
            Objects.requireNonNull(constant, "constant");
        }
    }

    /** {@code column IN (values)}, or {@code column NOT IN (values)} when {@code negated}. */
    record In(String column, List<String> values, boolean negated) implements CheckCondition {
        public In {
            Objects.requireNonNull(column, "column");
            values = List.copyOf(values);
            if (values.isEmpty()) {
                throw new IllegalArgumentException("an IN condition on '" + column + "' needs at least one value");
            }
        }
    }

    /** {@code column IS NOT NULL}. */
    record NotNull(String column) implements CheckCondition {
        public NotNull {
            Objects.requireNonNull(column, "column");
        }
    }

    /** {@code length(column) <op> length}: the length in characters (code points), as PostgreSQL counts them. */
    record Length(String column, Comparison op, long length) implements CheckCondition {
        public Length {
            Objects.requireNonNull(column, "column");
            Objects.requireNonNull(op, "op");
        }
    }
}
