package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.schema.function.BufferLimits;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MemoryLimitConverterTest {
    private final InitCommand.MemoryLimitConverter converter = new InitCommand.MemoryLimitConverter();

    @Test
    void autoOffZeroAndBytes_withBinarySuffixes() {
        assertThat(converter.convert("auto")).isEqualTo(BufferLimits.AUTO_MAX_REDIS_MEMORY);
        assertThat(converter.convert("OFF")).isZero();
        assertThat(converter.convert("0")).isZero();
        assertThat(converter.convert("536870912")).isEqualTo(536_870_912L);
        assertThat(converter.convert("512m")).isEqualTo(512L << 20);
        assertThat(converter.convert("2GB")).isEqualTo(2L << 30);
        assertThat(converter.convert("64kib")).isEqualTo(64L << 10);
    }

    @Test
    void anythingElse_isRefusedNamingTheOptionAndTheForms() {
        assertThatThrownBy(() -> converter.convert("lots"))
                .isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessage("--max-redis-memory 'lots': write auto, off, or a number of bytes such as 536870912, 512m"
                        + " or 2g");
    }
}
