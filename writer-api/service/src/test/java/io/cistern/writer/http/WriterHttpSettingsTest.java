package io.cistern.writer.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriterHttpSettingsTest {
    @TempDir
    Path dir;

    @Test
    void noVariables_giveNoAuthAndTheDefaultBodyLimit() {
        WriterHttpSettings settings = WriterHttpSettings.fromEnvironment(Map.of());

        assertThat(settings.token()).isEmpty();
        assertThat(settings.maxBodyBytes()).isEqualTo(WriterHttpSettings.DEFAULT_MAX_BODY_BYTES);
    }

    @Test
    void tokenAndTokenFileBothSet_isRefusedNamingBoth() {
        assertThatThrownBy(() -> WriterHttpSettings.fromEnvironment(
                        Map.of("CISTERN_WRITER_TOKEN", "abc", "CISTERN_WRITER_TOKEN_FILE", "/run/secrets/t")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CISTERN_WRITER_TOKEN and CISTERN_WRITER_TOKEN_FILE")
                .hasMessageNotContaining("abc");
    }

    @Test
    void tokenFile_isReadAndTrimmed() throws IOException {
        Path file = Files.writeString(dir.resolve("token"), "from-file\n");

        WriterHttpSettings settings =
                WriterHttpSettings.fromEnvironment(Map.of("CISTERN_WRITER_TOKEN_FILE", file.toString()));

        assertThat(settings.token())
                .hasValueSatisfying(t -> assertThat(t.reveal()).isEqualTo("from-file"));
    }

    @Test
    void emptyTokenFile_isRefusedNamingTheFile() throws IOException {
        Path file = Files.writeString(dir.resolve("token"), "  \n");

        assertThatThrownBy(
                        () -> WriterHttpSettings.fromEnvironment(Map.of("CISTERN_WRITER_TOKEN_FILE", file.toString())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("empty");
    }

    @Test
    void unreadableTokenFile_isRefusedNamingTheVariable() {
        String missing = dir.resolve("absent").toString();

        assertThatThrownBy(() -> WriterHttpSettings.fromEnvironment(Map.of("CISTERN_WRITER_TOKEN_FILE", missing)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CISTERN_WRITER_TOKEN_FILE names " + missing);
    }

    @Test
    void maxBodyThatIsNotANumber_isRefusedWithAnExample() {
        assertThatThrownBy(() -> WriterHttpSettings.fromEnvironment(Map.of("CISTERN_WRITER_MAX_BODY_BYTES", "8MB")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CISTERN_WRITER_MAX_BODY_BYTES must be a whole number of bytes")
                .hasMessageContaining("'8MB'");
    }

    @Test
    void maxBodyOfZero_isRefusedWithTheRange() {
        assertThatThrownBy(() ->
                        WriterHttpSettings.defaults().mutate().maxBodyBytes(0).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("between 1 and");
    }

    @Test
    void blankToken_isRefused() {
        assertThatThrownBy(
                        () -> WriterHttpSettings.defaults().mutate().token(" ").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blank");
    }

    @Test
    void toString_neverShowsTheToken() {
        WriterHttpSettings settings =
                WriterHttpSettings.defaults().mutate().token("very-secret").build();

        assertThat(settings.toString()).doesNotContain("very-secret").contains("bearer token");
    }

    @Test
    void mutateWithoutChanges_buildsAnEqualCopy() {
        WriterHttpSettings s =
                WriterHttpSettings.defaults().mutate().token("t-1").build();

        assertThat(s.mutate().build()).isEqualTo(s);
    }

    @Test
    void mutateOneValue_changesOnlyThatValue() {
        WriterHttpSettings s =
                WriterHttpSettings.defaults().mutate().token("t-1").build();

        WriterHttpSettings smaller = s.mutate().maxBodyBytes(1024).build();
        WriterHttpSettings open = s.mutate().token(java.util.Optional.empty()).build();

        assertThat(smaller.maxBodyBytes()).isEqualTo(1024);
        assertThat(smaller.token()).isEqualTo(s.token());
        assertThat(open.token()).isEmpty();
        assertThat(open.maxBodyBytes()).isEqualTo(s.maxBodyBytes());
    }

    @Test
    void maxBodyOutOfRange_namesTheVariableAndTheRange() {
        assertThatThrownBy(() -> WriterHttpSettings.fromEnvironment(Map.of("CISTERN_WRITER_MAX_BODY_BYTES", "0")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("CISTERN_WRITER_MAX_BODY_BYTES must be a whole number of bytes from 1 to 1073741824,"
                        + " got '0'");
    }
}
