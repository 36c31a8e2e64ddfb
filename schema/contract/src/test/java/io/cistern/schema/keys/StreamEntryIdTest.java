package io.cistern.schema.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class StreamEntryIdTest {

    @Test
    void ids_compareAsNumbers_notAsText() {
        assertThat(StreamEntryId.parse("10-0")).isGreaterThan(StreamEntryId.parse("9-0"));
        assertThat(StreamEntryId.parse("5-10")).isGreaterThan(StreamEntryId.parse("5-9"));
        assertThat(StreamEntryId.parse("6-0")).isGreaterThan(StreamEntryId.parse("5-99"));
        assertThat(StreamEntryId.parse("7-3")).isEqualByComparingTo(StreamEntryId.parse("7-3"));
    }

    @Test
    void watermark_coversEntriesAtOrBeforeIt() {
        StreamEntryId watermark = StreamEntryId.parse("1700000000000-5");

        assertThat(watermark.isAtOrAfter(StreamEntryId.parse("1700000000000-5")))
                .isTrue();
        assertThat(watermark.isAtOrAfter(StreamEntryId.parse("1699999999999-9")))
                .isTrue();
        assertThat(watermark.isAtOrAfter(StreamEntryId.parse("1700000000000-6")))
                .isFalse();
    }

    @Test
    void partsAboveLongMaxValue_compareUnsigned_asRedisDoes() {
        StreamEntryId max = StreamEntryId.parse("18446744073709551615-18446744073709551615");

        assertThat(max).isGreaterThan(StreamEntryId.parse("9223372036854775807-0"));
        assertThat(max.toString()).isEqualTo("18446744073709551615-18446744073709551615");
    }

    @Test
    void sorting_followsStreamOrder() {
        List<String> sorted = Stream.of("10-0", "2-1", "2-0", "9-12", "9-2")
                .map(StreamEntryId::parse)
                .sorted()
                .map(StreamEntryId::toString)
                .toList();

        assertThat(sorted).containsExactly("2-0", "2-1", "9-2", "9-12", "10-0");
    }

    @Test
    void malformedIds_areRefusedNamingTheId() {
        for (String bad : List.of("", "12", "-1", "1-", "a-1", "1-b", "1-2-3", "+1-2", " 1-2", "*")) {
            assertThatThrownBy(() -> StreamEntryId.parse(bad))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + bad + "'");
        }
        assertThatThrownBy(() -> StreamEntryId.parse("18446744073709551616-0"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("64 bits");
        assertThatThrownBy(() -> StreamEntryId.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
