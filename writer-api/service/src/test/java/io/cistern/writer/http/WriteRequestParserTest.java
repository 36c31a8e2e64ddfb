package io.cistern.writer.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.schema.codec.Operation;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.writer.Write;
import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class WriteRequestParserTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void rawKeySegment_keepsPercentEscapesAsSent() {
        assertThat(WriteRequestParser.rawKeySegment("/v1/tables/labels/records/a%2Cb,x%2Fy"))
                .isEqualTo("a%2Cb,x%2Fy");
    }

    @Test
    void key_withEscapedComma_hasTwoComponents() {
        assertThat(WriteRequestParser.key("labels", "a%2Cb,c").values()).containsExactly("a,b", "c");
    }

    @Test
    void key_notCanonical_isMalformedKeyNamingTheKey() {
        assertThatThrownBy(() -> WriteRequestParser.key("labels", "a%2cb"))
                .isInstanceOfSatisfying(InvalidRecordException.class, e -> {
                    assertThat(e.reason()).isEqualTo(InvalidRecordException.Reason.MALFORMED_KEY);
                    assertThat(e.field()).isEqualTo("key");
                })
                .hasMessageContaining("a%2cb");
    }

    @Test
    void body_declaredLargerThanTheLimit_isRefusedBeforeReading() {
        assertThatThrownBy(() -> WriteRequestParser.readBody(new ByteArrayInputStream(new byte[0]), 11, 10))
                .isInstanceOfSatisfying(
                        RequestRefusedException.class,
                        e -> assertThat(e.status()).isEqualTo(413));
    }

    @Test
    void body_streamedPastTheLimit_isRefused() {
        assertThatThrownBy(() -> WriteRequestParser.readBody(new ByteArrayInputStream(new byte[11]), -1, 10))
                .isInstanceOfSatisfying(RequestRefusedException.class, e -> {
                    assertThat(e.status()).isEqualTo(413);
                    assertThat(e.code()).isEqualTo("BODY_TOO_LARGE");
                });
    }

    @Test
    void body_atTheLimit_isRead() {
        assertThat(WriteRequestParser.readBody(new ByteArrayInputStream(new byte[10]), 10, 10))
                .hasSize(10);
    }

    @Test
    void object_keepsBigIntegersAndDecimalsExact() {
        Map<String, JsonNode> columns = WriteRequestParser.columns(
                WriteRequestParser.object(utf8("{\"big\": 9007199254740993, \"amount\": 1.50, \"n\": null}")));

        assertThat(columns.get("big").bigIntegerValue()).isEqualTo(new BigInteger("9007199254740993"));
        assertThat(columns.get("amount").decimalValue()).isEqualTo(new BigDecimal("1.50"));
        assertThat(columns.get("n").isNull()).isTrue();
        assertThat(columns).containsOnlyKeys("big", "amount", "n");
    }

    @Test
    void object_malformedJson_is400MalformedJson() {
        assertThatThrownBy(() -> WriteRequestParser.object(utf8("{\"a\": ")))
                .isInstanceOfSatisfying(RequestRefusedException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.code()).isEqualTo("MALFORMED_JSON");
                });
    }

    @Test
    void object_duplicateMember_isRefusedInsteadOfLastWins() {
        assertThatThrownBy(() -> WriteRequestParser.object(utf8("{\"a\": 1, \"a\": 2}")))
                .isInstanceOfSatisfying(
                        RequestRefusedException.class, e -> assertThat(e.code()).isEqualTo("MALFORMED_JSON"))
                .hasMessageContaining("\"a\"");
    }

    @Test
    void object_emptyBody_is400() {
        assertThatThrownBy(() -> WriteRequestParser.object(new byte[0]))
                .isInstanceOfSatisfying(
                        RequestRefusedException.class,
                        e -> assertThat(e.status()).isEqualTo(400))
                .hasMessageContaining("empty");
    }

    @Test
    void object_array_is400NotAnObject() {
        assertThatThrownBy(() -> WriteRequestParser.object(utf8("[1]")))
                .isInstanceOfSatisfying(
                        RequestRefusedException.class, e -> assertThat(e.code()).isEqualTo("NOT_AN_OBJECT"));
    }

    @Test
    void batch_readsOpKeyAndColumnsOfEachWrite() {
        List<Write> writes = WriteRequestParser.batch(
                "labels",
                WriteRequestParser.object(
                        utf8("{\"writes\": [{\"op\": \"put\", \"key\": \"a%2Cb,c\", \"columns\": {\"note\": \"n\"}},"
                                + " {\"op\": \"delete\", \"key\": \"d,e\"}]}")));

        assertThat(writes).extracting(Write::op).containsExactly(Operation.PUT, Operation.DELETE);
        assertThat(writes.get(0).key().values()).containsExactly("a,b", "c");
        assertThat(writes.get(0).columns()).containsOnlyKeys("note");
        assertThat(writes.get(1).columns()).isEmpty();
    }

    @Test
    void batch_withoutWritesArray_is400NamingWrites() {
        assertThatThrownBy(() -> WriteRequestParser.batch("t", WriteRequestParser.object(utf8("{\"write\": []}"))))
                .isInstanceOfSatisfying(RequestRefusedException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.field()).isEqualTo("writes");
                });
    }

    @Test
    void batch_missingKey_is422NamingIndexAndKey() {
        assertThatThrownBy(() -> WriteRequestParser.batch(
                        "t",
                        WriteRequestParser.object(
                                utf8("{\"writes\": [{\"op\": \"delete\", \"key\": \"a\"}, {\"op\": \"delete\"}]}"))))
                .isInstanceOfSatisfying(RequestRefusedException.class, e -> {
                    assertThat(e.status()).isEqualTo(422);
                    assertThat(e.code()).isEqualTo("MISSING_KEY");
                    assertThat(e.index()).isEqualTo(1);
                    assertThat(e.field()).isEqualTo("key");
                })
                .hasMessageContaining("write 1 of the batch");
    }

    @Test
    void batch_columnsNotAnObject_isRefusedNamingIndexAndColumns() {
        assertThatThrownBy(() -> WriteRequestParser.batch(
                        "t",
                        WriteRequestParser.object(
                                utf8("{\"writes\": [{\"op\": \"put\", \"key\": \"a\", \"columns\": [1]}]}"))))
                .isInstanceOfSatisfying(RequestRefusedException.class, e -> {
                    assertThat(e.index()).isZero();
                    assertThat(e.field()).isEqualTo("columns");
                });
    }
}
