package io.cistern.reader.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReadControllerTest {

    @Test
    void ifNoneMatch_matchesStrongWeakListedAndAny() {
        assertThat(ReadController.matches("\"7\"", 7)).isTrue();
        assertThat(ReadController.matches("W/\"7\"", 7)).isTrue();
        assertThat(ReadController.matches("\"5\", \"7\"", 7)).isTrue();
        assertThat(ReadController.matches("*", 7)).isTrue();
        assertThat(ReadController.matches("\"6\"", 7)).isFalse();
        assertThat(ReadController.matches("7", 7)).isFalse();
        assertThat(ReadController.matches(null, 7)).isFalse();
    }
}
