package io.cistern.schema.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KeyEncodingTest {

    @Test
    void unreservedCharacters_standAsTheyAre() {
        assertThat(KeyEncoding.encode(List.of("AZaz09-._~"))).isEqualTo("AZaz09-._~");
    }

    @Test
    void reservedCharacters_arePercentEncodedWithUpperCaseHex() {
        assertThat(KeyEncoding.encode(List.of("a,b", "50%", "x/y z"))).isEqualTo("a%2Cb,50%25,x%2Fy%20z");
    }

    @Test
    void unicode_isEncodedAsUtf8Bytes() {
        assertThat(KeyEncoding.encodeComponent("café")).isEqualTo("caf%C3%A9");
        assertThat(KeyEncoding.encodeComponent("😀")).isEqualTo("%F0%9F%98%80");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "plain",
                "a,b",
                "100%",
                "%2C",
                "path/to/file name.pdf",
                " leading and trailing ",
                "naïve café",
                "日本語",
                "emoji 😀👍🏽",
                "mixed,%/ 😀~._-",
                "",
                "+=&?#[]@!$'()*;:"
            })
    void oneComponent_roundTrips(String text) {
        // given a key component with any characters
        // when it is encoded and decoded
        List<String> decoded = KeyEncoding.decode(KeyEncoding.encode(List.of(text)));

        // then it comes back unchanged
        assertThat(decoded).containsExactly(text);
    }

    @Test
    void compositeKey_roundTripsComponentByComponent() {
        List<String> key = List.of("7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f", "a,b,c", "", "%%", "😀/ x");

        String encoded = KeyEncoding.encode(key);

        assertThat(encoded.chars().filter(c -> c == ',').count()).isEqualTo(4);
        assertThat(KeyEncoding.decode(encoded)).isEqualTo(key);
    }

    @Test
    void encodedKey_usesOnlyTheUnreservedAlphabetCommasAndEscapes() {
        String encoded = KeyEncoding.encode(List.of("a b,c", "ü%😀"));

        assertThat(encoded).matches("[A-Za-z0-9\\-._~,%]*");
    }

    @Test
    void emptyKey_isRefused() {
        assertThatThrownBy(() -> KeyEncoding.encode(List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one component");
    }

    @Test
    void escapedUnreservedCharacter_isRefusedAsNonCanonical() {
        assertThatThrownBy(() -> KeyEncoding.decode("%41bc"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'A'")
                .hasMessageContaining("canonical");
    }

    @Test
    void lowerCaseHexEscape_isRefusedAsNonCanonical() {
        assertThatThrownBy(() -> KeyEncoding.decode("caf%c3%a9"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("upper-case hex");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a b", "a/b", "café", "a:b", "a{1}"})
    void unescapedReservedCharacter_isRefused(String encoded) {
        assertThatThrownBy(() -> KeyEncoding.decode(encoded))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be %-encoded");
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc%", "abc%4", "%", "a,%2"})
    void truncatedEscape_isRefused(String encoded) {
        assertThatThrownBy(() -> KeyEncoding.decode(encoded))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("truncated %-escape");
    }

    @Test
    void escapeWithNonHexDigits_isRefused() {
        assertThatThrownBy(() -> KeyEncoding.decode("a%G1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bad %-escape");
    }

    @ParameterizedTest
    @ValueSource(strings = {"%FF", "%C3", "%C3%28", "%ED%A0%80"})
    void invalidUtf8_isRefused(String encoded) {
        assertThatThrownBy(() -> KeyEncoding.decode(encoded))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not valid UTF-8");
    }
}
