package io.cistern.schema.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Both change-entry formats decode to the same entry; a malformed or newer one is refused, naming what is wrong. */
class ChangeEntryTest {
    private static final String ID = "1795000000123-4";

    private static Map<String, String> format1(String table, String key, String op, String version, String... cols) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put(ChangeEntry.TABLE, table);
        f.put(ChangeEntry.KEY, key);
        f.put(ChangeEntry.OP, op);
        f.put(ChangeEntry.VERSION, version);
        for (int i = 0; i < cols.length; i += 2) {
            f.put(ChangeEntry.COLUMN_PREFIX + cols[i], cols[i + 1]);
        }
        return f;
    }

    @Test
    void formatTwo_decodesToTheSameEntryAsFormatOne() {
        ChangeEntry one =
                ChangeEntry.fromFields(ID, format1("docs", "doc-1", "put", "17", "title", "\"Hi!\"", "n", "3"));

        ChangeEntry two = ChangeEntry.fromFields(ID, Map.of("e2:put:docs:title,n", "17:5:doc-1" + "5:\"Hi!\"1:3"));

        assertThat(two).isEqualTo(one);
        assertThat(two.columns()).containsExactly(Map.entry("title", "\"Hi!\""), Map.entry("n", "3"));
        assertThat(one.packedField()).isEqualTo("e2:put:docs:title,n");
        assertThat(one.packedValue()).isEqualTo("17:5:doc-15:\"Hi!\"1:3");
    }

    @Test
    void formatTwo_countsLengthsInUtf8Bytes_andAValueMayHoldAnyCharacter() {
        // "é" is 2 bytes, "😀" 4 (two UTF-16 chars), and ':' or a digit right after a value must not confuse the parse.
        String value = "\"é:😀12:\"";
        int bytes = value.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;

        ChangeEntry e = ChangeEntry.fromFields(ID, Map.of("e2:patch:docs:title", "9:4:a%2C" + bytes + ":" + value));

        assertThat(e.op()).isEqualTo(Operation.PATCH);
        assertThat(e.key()).isEqualTo("a%2C");
        assertThat(e.version()).isEqualTo(9);
        assertThat(e.columns()).containsExactly(Map.entry("title", value));
    }

    @Test
    void formatTwo_roundTripsRandomEntries() {
        Random random = new Random(22);
        for (int i = 0; i < 500; i++) {
            Map<String, String> columns = new LinkedHashMap<>();
            int n = random.nextInt(4);
            for (int c = 0; c < n; c++) {
                columns.put("c" + c, randomText(random));
            }
            Operation op = n == 0 ? Operation.DELETE : random.nextBoolean() ? Operation.PUT : Operation.PATCH;
            ChangeEntry e = new ChangeEntry(
                    ID, "t_" + random.nextInt(3), randomText(random), op, random.nextLong(1L << 53), columns);

            assertThat(ChangeEntry.fromFields(ID, Map.of(e.packedField(), e.packedValue())))
                    .isEqualTo(e);
        }
    }

    @Test
    void formatTwoDelete_hasNoColumns() {
        ChangeEntry e = ChangeEntry.fromFields(ID, Map.of("e2:delete:docs:", "12:5:doc-1"));

        assertThat(e.op()).isEqualTo(Operation.DELETE);
        assertThat(e.columns()).isEmpty();
        assertThat(ChangeEntry.tableOf(Map.of("e2:delete:docs:", "12:5:doc-1"))).isEqualTo("docs");
        assertThat(ChangeEntry.tableOf(format1("docs", "k", "put", "1"))).isEqualTo("docs");
    }

    @Test
    void malformedFormatTwo_isRefusedNamingTheEntryAndWhat() {
        assertThatThrownBy(() -> ChangeEntry.fromFields(ID, Map.of("e2:put:docs:title", "17:5:doc-1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(ID)
                .hasMessageContaining("before the value of column title");
        assertThatThrownBy(() -> ChangeEntry.fromFields(ID, Map.of("e2:put:docs:title", "17:5:doc-19:\"x\"")))
                .hasMessageContaining("ends inside the value of column title");
        assertThatThrownBy(() -> ChangeEntry.fromFields(ID, Map.of("e2:put:docs:", "17:5:doc-1extra")))
                .hasMessageContaining("bytes after the value of its last column");
        assertThatThrownBy(() -> ChangeEntry.fromFields(ID, Map.of("e2:put:docs:", "x:5:doc-1")))
                .hasMessageContaining("decimal version");
        assertThatThrownBy(() -> ChangeEntry.fromFields(ID, Map.of("e2:upsert:docs:", "1:5:doc-1")))
                .hasMessageContaining("unknown operation 'upsert'");
    }

    @Test
    void aNewerFormat_isRefusedWithTheUpgradeToDo_notSkipped() {
        assertThatThrownBy(() -> ChangeEntry.fromFields(ID, Map.of("e3:put:docs:title", "whatever")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("entry format 3")
                .hasMessageContaining("written by a newer Cistern")
                .hasMessageContaining("upgrade the sync worker");
        Map<String, String> withNewerField = format1("docs", "k", "put", "1");
        withNewerField.put("e3", "x");
        assertThatThrownBy(() -> ChangeEntry.fromFields(ID, withNewerField)).hasMessageContaining("entry format 3");
    }

    @Test
    void formatOne_stillIgnoresUnknownNonFormatFields_andNamesAMissingOne() {
        Map<String, String> f = format1("docs", "k", "put", "1", "title", "\"a\"");
        f.put("x-trace", "abc");

        assertThat(ChangeEntry.fromFields(ID, f).columns()).containsOnlyKeys("title");
        assertThatThrownBy(() -> ChangeEntry.fromFields(ID, Map.of("t", "docs")))
                .hasMessage("entry " + ID + " has no field 'v'");
    }

    private static String randomText(Random random) {
        String alphabet = "ab:0123456789,é😀\"";
        StringBuilder s = new StringBuilder();
        int n = random.nextInt(12);
        for (int i = 0; i < n; i++) {
            int at = alphabet.offsetByCodePoints(0, random.nextInt(alphabet.codePointCount(0, alphabet.length())));
            s.appendCodePoint(alphabet.codePointAt(at));
        }
        return s.toString();
    }
}
