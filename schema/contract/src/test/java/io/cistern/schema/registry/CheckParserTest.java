package io.cistern.schema.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.schema.registry.CheckCondition.Comparison;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The definitions below are as PostgreSQL 15 prints them ({@code pg_get_constraintdef}). */
class CheckParserTest {
    private static final Map<String, SqlType> COLUMNS = Map.ofEntries(
            Map.entry("id", SqlType.INTEGER),
            Map.entry("status", SqlType.TEXT),
            Map.entry("v", SqlType.TEXT),
            Map.entry("n", SqlType.INTEGER),
            Map.entry("p", SqlType.NUMERIC),
            Map.entry("b", SqlType.BIGINT),
            Map.entry("name", SqlType.TEXT),
            Map.entry("nv", SqlType.TEXT),
            Map.entry("nn", SqlType.TEXT),
            Map.entry("ni", SqlType.INTEGER),
            Map.entry("c", SqlType.TEXT),
            Map.entry("two", SqlType.INTEGER),
            Map.entry("st", SqlType.TEXT),
            Map.entry("fl", SqlType.DOUBLE),
            Map.entry("pi", SqlType.NUMERIC),
            Map.entry("ng", SqlType.INTEGER),
            Map.entry("o", SqlType.INTEGER),
            Map.entry("ts", SqlType.TIMESTAMPTZ));
    private static final TableDef TABLE = new TableDef(
            "ck",
            COLUMNS.entrySet().stream()
                    .map(e -> new ColumnDef(e.getKey(), e.getValue(), true, false, 0))
                    .toList(),
            List.of("id"),
            1,
            Optional.empty());

    private static List<CheckCondition> parse(String definition) {
        return CheckParser.parse("k", definition, COLUMNS, Set.of("c")).conditions();
    }

    @Test
    void inOverText_withQuotesEscaped() {
        assertThat(parse("CHECK ((status = ANY (ARRAY['new'::text, 'it''s'::text])))"))
                .containsExactly(new CheckCondition.In("status", List.of("new", "it's"), false));
    }

    @Test
    void inOverVarchar_castToTextArray() {
        assertThat(parse("CHECK (((v)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])))"))
                .containsExactly(new CheckCondition.In("v", List.of("a", "b"), false));
    }

    @Test
    void between_isTwoComparisons_withNegativeConstant() {
        assertThat(parse("CHECK (((n >= '-5'::integer) AND (n <= 10)))"))
                .containsExactly(
                        new CheckCondition.Compare("n", Comparison.GE, "-5"),
                        new CheckCondition.Compare("n", Comparison.LE, "10"));
    }

    @Test
    void numericComparisons_withCastConstants() {
        assertThat(parse("CHECK (((p > (0)::numeric) AND (p <= 99.5)))"))
                .containsExactly(
                        new CheckCondition.Compare("p", Comparison.GT, "0"),
                        new CheckCondition.Compare("p", Comparison.LE, "99.5"));
        assertThat(parse("CHECK ((b <> '-1'::integer))"))
                .containsExactly(new CheckCondition.Compare("b", Comparison.NE, "-1"));
        assertThat(parse("CHECK ((pi = ANY (ARRAY[(1)::numeric, 2.5])))"))
                .containsExactly(new CheckCondition.In("pi", List.of("1", "2.5"), false));
    }

    @Test
    void constantOnTheLeft_flipsTheOperator() {
        assertThat(parse("CHECK (('-3'::integer < ng))"))
                .containsExactly(new CheckCondition.Compare("ng", Comparison.GT, "-3"));
    }

    @Test
    void lengthNotNullAndNotIn() {
        assertThat(parse("CHECK ((length(name) <= 5))"))
                .containsExactly(new CheckCondition.Length("name", Comparison.LE, 5));
        assertThat(parse("CHECK ((char_length((nv)::text) < 4))"))
                .containsExactly(new CheckCondition.Length("nv", Comparison.LT, 4));
        assertThat(parse("CHECK ((nn IS NOT NULL))")).containsExactly(new CheckCondition.NotNull("nn"));
        assertThat(parse("CHECK ((ts IS NOT NULL))")).containsExactly(new CheckCondition.NotNull("ts"));
        assertThat(parse("CHECK ((ni <> ALL (ARRAY[1, 2])))"))
                .containsExactly(new CheckCondition.In("ni", List.of("1", "2"), true));
        assertThat(parse("CHECK ((n > 0)) NOT VALID"))
                .containsExactly(new CheckCondition.Compare("n", Comparison.GT, "0"));
    }

    @Test
    void whatIsNotExact_isNotUnderstood() {
        assertThat(parse("CHECK ((c = 'x'::bpchar))")).isEmpty(); // char(n): trailing blanks do not count
        assertThat(parse("CHECK ((two > n))")).isEmpty(); // two columns
        assertThat(parse("CHECK ((st > 'm'::text))")).isEmpty(); // text order hangs on the collation
        assertThat(parse("CHECK ((fl > (0.5)::double precision))")).isEmpty(); // floating point
        assertThat(parse("CHECK (((o = 1) OR (o = 2)))")).isEmpty();
        assertThat(parse("CHECK ((lower(status) = 'a'::text))")).isEmpty();
        assertThat(parse("CHECK (((p)::integer > 1))")).isEmpty(); // the cast rounds
        assertThat(parse("CHECK ((missing > 1))")).isEmpty();
        assertThat(CheckParser.parse("k", "CHECK ((two > n))", COLUMNS, Set.of())
                        .understood())
                .isFalse();
    }

    @Test
    void nullPasses_falseRefuses_unknownPasses() {
        CheckConstraint between = CheckParser.parse("n_range", "CHECK (((n >= 0) AND (n <= 10)))", COLUMNS, Set.of());
        Map<String, String> row = new HashMap<>();
        assertThat(between.violatedBy(TABLE, row)).isEmpty();
        row.put("n", null);
        assertThat(between.violatedBy(TABLE, row)).isEmpty();
        row.put("n", "10");
        assertThat(between.violatedBy(TABLE, row)).isEmpty();
        row.put("n", "11");
        assertThat(between.violatedBy(TABLE, row)).contains(new CheckCondition.Compare("n", Comparison.LE, "10"));
        CheckConstraint notNull = CheckParser.parse("nn", "CHECK ((nn IS NOT NULL))", COLUMNS, Set.of());
        assertThat(notNull.violatedBy(TABLE, Map.of())).isEmpty();
        row.put("nn", null);
        assertThat(notNull.violatedBy(TABLE, row)).isPresent();
    }

    @Test
    void numbersCompareExactly_andLengthCountsCharacters() {
        CheckConstraint p = CheckParser.parse("p", "CHECK ((p <= 99.5))", COLUMNS, Set.of());
        assertThat(p.violatedBy(TABLE, Map.of("p", "99.50"))).isEmpty();
        assertThat(p.violatedBy(TABLE, Map.of("p", "99.5000000000000000001"))).isPresent();
        assertThat(p.violatedBy(TABLE, Map.of("p", "NaN"))).isEmpty(); // left to PostgreSQL
        CheckConstraint length = CheckParser.parse("l", "CHECK ((length(name) <= 2))", COLUMNS, Set.of());
        assertThat(length.violatedBy(TABLE, Map.of("name", "é😀"))).isEmpty();
        assertThat(length.violatedBy(TABLE, Map.of("name", "abc"))).isPresent();
    }

    @Test
    void describe_namesTheAllowedValues() {
        assertThat(CheckConstraint.describe(
                        new CheckCondition.In("status", List.of("new", "it's", "1"), false), SqlType.TEXT))
                .isEqualTo("status IN ('new', 'it''s', '1')");
        assertThat(CheckConstraint.describe(new CheckCondition.Compare("n", Comparison.LE, "10"), SqlType.INTEGER))
                .isEqualTo("n <= 10");
    }
}
