package io.cistern.schema.registry;

import io.cistern.schema.registry.CheckCondition.Comparison;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads a CHECK constraint as {@code pg_get_constraintdef} prints it into the {@link CheckCondition}s Cistern judges
 * exactly: the AND of conditions each comparing one column with constants ({@code =}, {@code <>}, {@code <}, {@code
 * <=}, {@code >}, {@code >=}; {@code BETWEEN} prints as {@code >= AND <=}), {@code = ANY (ARRAY[...])} (how {@code IN}
 * prints), {@code <> ALL (ARRAY[...])} ({@code NOT IN}), {@code IS NOT NULL} and {@code length(column)} compared with
 * an integer. Anything else (OR, two columns, functions, casts that change a value, text ordered by a collation) is
 * not understood, and the constraint is left to PostgreSQL. Pure; thread-safe.
 */
public final class CheckParser {
    private static final Set<String> TEXT_TYPES = Set.of("text", "character varying", "varchar");
    private static final Set<String> NUMBER_TYPES =
            Set.of("numeric", "integer", "bigint", "smallint", "int2", "int4", "int8");
    private static final Set<String> LENGTH_FUNCTIONS = Set.of("length", "char_length", "character_length");

    private final List<String> tokens;
    private final Map<String, SqlType> columns;
    private final Set<String> inexactText;
    private int pos;

    private CheckParser(List<String> tokens, Map<String, SqlType> columns, Set<String> inexactText) {
        this.tokens = tokens;
        this.columns = columns;
        this.inexactText = inexactText;
    }

    /**
     * The constraint {@code name} printed as {@code definition}, with its conditions when Cistern understands it.
     *
     * @param columns the table's columns and their types; only text, integers and numeric are compared, any column
     *     may be {@code IS NOT NULL}
     * @param inexactText the text columns whose equality is not that of their characters ({@code char(n)}, whose
     *     trailing blanks do not count; {@code citext}): not compared
     */
    public static CheckConstraint parse(
            String name, String definition, Map<String, SqlType> columns, Set<String> inexactText) {
        List<CheckCondition> conditions;
        try {
            CheckParser p = new CheckParser(tokenize(definition), columns, inexactText);
            p.expectWord("CHECK");
            conditions = new ArrayList<>();
            p.andExpression(conditions);
            // NOT VALID spares only the rows already there; NO INHERIT only child tables: new rows are checked.
            if (p.isWord("NOT")) {
                p.pos++;
                p.expectWord("VALID");
            }
            if (p.isWord("NO")) {
                p.pos++;
                p.expectWord("INHERIT");
            }
            if (p.pos < p.tokens.size()) {
                throw new NotUnderstood();
            }
        } catch (NotUnderstood | IndexOutOfBoundsException | NumberFormatException e) {
            conditions = List.of();
        }
        return new CheckConstraint(name, definition, conditions);
    }

    private static final class NotUnderstood extends RuntimeException {
        NotUnderstood() {
            super(null, null, false, false);
        }
    }

    // ---- grammar: and := term (AND term)*; term := '(' and ')' | condition

    private void andExpression(List<CheckCondition> out) {
        term(out);
        while (pos < tokens.size() && isWord("AND")) {
            pos++;
            term(out);
        }
    }

    private void term(List<CheckCondition> out) {
        if (peek().equals("(") && !startsOperand()) {
            pos++;
            andExpression(out);
            expect(")");
            return;
        }
        out.add(condition());
    }

    /** Whether the '(' at pos opens an operand such as {@code (status)::text} rather than a nested expression. */
    private boolean startsOperand() {
        int save = pos;
        try {
            operand();
            return pos < tokens.size() && (Comparison.of(peek()) != null || isWord("IS"));
        } catch (NotUnderstood | IndexOutOfBoundsException | NumberFormatException e) {
            return false;
        } finally {
            pos = save;
        }
    }

    private CheckCondition condition() {
        Operand left = operand();
        if (isWord("IS")) {
            pos++;
            expectWord("NOT");
            expectWord("NULL");
            return new CheckCondition.NotNull(left.column(columns));
        }
        Comparison op = Comparison.of(next());
        if (op == null) {
            throw new NotUnderstood();
        }
        if (isWord("ANY") || isWord("ALL")) {
            boolean any = isWord("ANY");
            pos++;
            if (any != (op == Comparison.EQ) || (!any && op != Comparison.NE)) {
                throw new NotUnderstood();
            }
            expect("(");
            List<String> values = array();
            expect(")");
            String column = judged(left.column(columns));
            for (String v : values) {
                constantFor(column, v, true);
            }
            return new CheckCondition.In(column, values, !any);
        }
        Operand right = operand();
        if (left.constant == null && right.constant != null) {
            return compare(left, op, right);
        }
        if (left.constant != null && right.constant == null) {
            return compare(right, op.flipped(), left);
        }
        throw new NotUnderstood();
    }

    private CheckCondition compare(Operand column, Comparison op, Operand constant) {
        if (column.lengthOf != null) {
            String name = judged(column.lengthOf);
            if (columns.get(name) != SqlType.TEXT || !constant.number) {
                throw new NotUnderstood();
            }
            return new CheckCondition.Length(name, op, new BigDecimal(constant.constant).longValueExact());
        }
        String name = judged(column.column(columns));
        boolean equality = op == Comparison.EQ || op == Comparison.NE;
        String value = constantFor(name, constant.constant, constant.number || !equality);
        if (columns.get(name) == SqlType.TEXT && !equality) {
            throw new NotUnderstood(); // the order of text depends on its collation: PostgreSQL's to judge
        }
        return new CheckCondition.Compare(name, op, value);
    }

    /** {@code column} when Cistern compares its values exactly, or not understood. */
    private String judged(String column) {
        SqlType type = columns.get(column);
        boolean exact = switch (type) {
            case TEXT -> !inexactText.contains(column);
            case SMALLINT, INTEGER, BIGINT, NUMERIC -> true;
            default -> false;
        };
        if (!exact) {
            throw new NotUnderstood();
        }
        return column;
    }

    /** {@code constant} as a value of {@code column}'s type, or not understood. */
    private String constantFor(String column, String constant, boolean mayBeNumber) {
        SqlType type = columns.get(column);
        if (type == SqlType.TEXT) {
            return constant;
        }
        if (!mayBeNumber) {
            throw new NotUnderstood();
        }
        return new BigDecimal(constant).toPlainString();
    }

    /** {@code ARRAY[c, ...]}, maybe in parentheses and cast to an array type. */
    private List<String> array() {
        if (peek().equals("(")) {
            pos++;
            List<String> values = array();
            expect(")");
            castSuffix();
            return values;
        }
        expectWord("ARRAY");
        expect("[");
        List<String> values = new ArrayList<>();
        do {
            Operand o = operand();
            if (o.constant == null) {
                throw new NotUnderstood();
            }
            values.add(o.constant);
        } while (peek().equals(",") && next() != null);
        expect("]");
        castSuffix();
        return values;
    }

    /**
     * An operand: a column, maybe cast to a type that keeps its value; a constant, maybe cast; or {@code length(col)}.
     */
    private Operand operand() {
        Operand o;
        String t = next();
        if (t.equals("(")) {
            o = operand();
            expect(")");
        } else if (t.equals("-")) {
            Operand inner = operand();
            if (!inner.number) {
                throw new NotUnderstood();
            }
            o = Operand.number(new BigDecimal(inner.constant).negate().toPlainString());
        } else if (t.startsWith("'")) {
            o = Operand.text(t.substring(1, t.length() - 1).replace("''", "'"));
        } else if (Character.isDigit(t.charAt(0))) {
            o = Operand.number(new BigDecimal(t).toPlainString());
        } else if (isIdentifier(t)) {
            String word = t.toLowerCase(Locale.ROOT);
            if (pos < tokens.size() && peek().equals("(")) {
                if (!LENGTH_FUNCTIONS.contains(word)) {
                    throw new NotUnderstood();
                }
                pos++;
                Operand arg = operand();
                expect(")");
                o = Operand.lengthOf(arg.column(columns));
            } else {
                if (word.equals("null") || word.equals("true") || word.equals("false")) {
                    throw new NotUnderstood();
                }
                o = Operand.column(t.startsWith("\"") ? t.substring(1, t.length() - 1) : t);
            }
        } else {
            throw new NotUnderstood();
        }
        String cast = castSuffix();
        return cast == null ? o : o.cast(cast, columns);
    }

    /** A {@code ::type} suffix (the last of several), or null. */
    private String castSuffix() {
        String type = null;
        while (pos < tokens.size() && peek().equals("::")) {
            pos++;
            StringBuilder name = new StringBuilder(next().toLowerCase(Locale.ROOT));
            if (name.toString().equals("character") && isWord("varying")) {
                name.append(' ').append(next().toLowerCase(Locale.ROOT));
            }
            if (pos < tokens.size() && peek().equals("[")) {
                expect("[");
                expect("]");
                name.append("[]");
            }
            type = name.toString();
        }
        return type;
    }

    private record Operand(String columnName, String constant, boolean number, String lengthOf) {
        static Operand column(String name) {
            return new Operand(name, null, false, null);
        }

        static Operand text(String value) {
            return new Operand(null, value, false, null);
        }

        static Operand number(String value) {
            return new Operand(null, value, true, null);
        }

        static Operand lengthOf(String column) {
            return new Operand(null, null, false, column);
        }

        String column(Map<String, SqlType> columns) {
            if (columnName == null || !columns.containsKey(columnName)) {
                throw new NotUnderstood();
            }
            return columnName;
        }

        /** This operand cast to {@code type}, when the cast keeps its value exactly. */
        Operand cast(String type, Map<String, SqlType> columns) {
            if (type.endsWith("[]")) {
                throw new NotUnderstood();
            }
            if (columnName != null) {
                SqlType t = columns.get(columnName);
                boolean keeps = t == SqlType.TEXT
                        ? TEXT_TYPES.contains(type)
                        : t == SqlType.NUMERIC
                                ? type.equals("numeric")
                                : t != null
                                        && Set.of("numeric", "bigint", "int8").contains(type);
                if (!keeps) {
                    throw new NotUnderstood();
                }
                return this;
            }
            if (constant != null) {
                if (TEXT_TYPES.contains(type)) {
                    return number ? text(constant) : this;
                }
                if (NUMBER_TYPES.contains(type)) {
                    return number(new BigDecimal(constant).toPlainString());
                }
            }
            throw new NotUnderstood();
        }
    }

    // ---- tokens

    private static List<String> tokenize(String s) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '\'') {
                int j = i + 1;
                while (true) {
                    if (j >= s.length()) {
                        throw new NotUnderstood();
                    }
                    if (s.charAt(j) == '\'') {
                        if (j + 1 < s.length() && s.charAt(j + 1) == '\'') {
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    j++;
                }
                out.add(s.substring(i, j + 1));
                i = j + 1;
            } else if (c == '"') {
                int j = s.indexOf('"', i + 1);
                if (j < 0) {
                    throw new NotUnderstood();
                }
                out.add(s.substring(i, j + 1));
                i = j + 1;
            } else if (Character.isDigit(c) || (c == '.' && i + 1 < s.length() && Character.isDigit(s.charAt(i + 1)))) {
                int j = i;
                while (j < s.length() && (Character.isDigit(s.charAt(j)) || s.charAt(j) == '.')) {
                    j++;
                }
                if (j < s.length() && (s.charAt(j) == 'e' || s.charAt(j) == 'E')) {
                    j++;
                    if (j < s.length() && (s.charAt(j) == '+' || s.charAt(j) == '-')) {
                        j++;
                    }
                    while (j < s.length() && Character.isDigit(s.charAt(j))) {
                        j++;
                    }
                }
                out.add(s.substring(i, j));
                i = j;
            } else if (Character.isLetter(c) || c == '_') {
                int j = i;
                while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            } else if (s.startsWith("::", i)
                    || s.startsWith("<=", i)
                    || s.startsWith(">=", i)
                    || s.startsWith("<>", i)
                    || s.startsWith("!=", i)) {
                out.add(s.substring(i, i + 2));
                i += 2;
            } else if ("()[],=<>-".indexOf(c) >= 0) {
                out.add(String.valueOf(c));
                i++;
            } else {
                throw new NotUnderstood();
            }
        }
        return out;
    }

    private static boolean isIdentifier(String t) {
        return t.startsWith("\"") || Character.isLetter(t.charAt(0)) || t.charAt(0) == '_';
    }

    private String peek() {
        return tokens.get(pos);
    }

    private String next() {
        return tokens.get(pos++);
    }

    private boolean isWord(String word) {
        return pos < tokens.size() && tokens.get(pos).equalsIgnoreCase(word);
    }

    private void expect(String token) {
        if (!next().equals(token)) {
            throw new NotUnderstood();
        }
    }

    private void expectWord(String word) {
        if (!next().equalsIgnoreCase(word)) {
            throw new NotUnderstood();
        }
    }
}
