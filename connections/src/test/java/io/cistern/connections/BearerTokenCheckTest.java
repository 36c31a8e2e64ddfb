package io.cistern.connections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BearerTokenCheckTest {
    private final BearerTokenCheck check = new BearerTokenCheck(Optional.of(Secret.of("t0ken")), "SOME_TOKEN");

    @Test
    void withoutConfiguredToken_everyRequestPasses() {
        BearerTokenCheck off = new BearerTokenCheck(Optional.empty(), "SOME_TOKEN");

        assertThat(off.enabled()).isFalse();
        assertThat(off.refusal(null)).isEmpty();
    }

    @Test
    void missingHeader_isRefused_namingTheHeaderAndTheVariable() {
        assertThat(check.refusal(null))
                .hasValueSatisfying(reason ->
                        assertThat(reason).contains("Authorization: Bearer").contains("SOME_TOKEN"));
    }

    @Test
    void otherScheme_isRefused_withoutEchoingIt() {
        assertThat(check.refusal("Basic dDBrZW4="))
                .hasValueSatisfying(reason -> assertThat(reason).doesNotContain("dDBrZW4="));
    }

    @Test
    void wrongToken_isRefusedWithoutEchoingEither() {
        assertThat(check.refusal("Bearer t0ken-guess"))
                .hasValueSatisfying(
                        reason -> assertThat(reason).contains("not valid").doesNotContain("t0ken"));
    }

    @Test
    void rightToken_passes_whateverTheCaseOfTheScheme() {
        assertThat(check.refusal("Bearer t0ken")).isEmpty();
        assertThat(check.refusal("bearer t0ken")).isEmpty();
    }

    @Test
    void prefixOfTheToken_isRefused() {
        assertThat(check.refusal("Bearer t0ke")).isPresent();
    }

    @Test
    void tokenFromEnvironment_readsTheVariableOrItsFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("token");
        Files.writeString(file, "from-file\n");

        assertThat(BearerTokenCheck.tokenFromEnvironment(Map.of(), "T")).isEmpty();
        assertThat(BearerTokenCheck.tokenFromEnvironment(Map.of("T", " "), "T")).isEmpty();
        assertThat(BearerTokenCheck.tokenFromEnvironment(Map.of("T", "direct"), "T"))
                .map(Secret::reveal)
                .hasValue("direct");
        assertThat(BearerTokenCheck.tokenFromEnvironment(Map.of("T_FILE", file.toString()), "T"))
                .map(Secret::reveal)
                .hasValue("from-file");
    }

    @Test
    void tokenFromEnvironment_refusesBoth_aMissingFile_andAnEmptyOne(@TempDir Path dir) throws Exception {
        Path empty = Files.writeString(dir.resolve("empty"), "  \n");

        assertThatThrownBy(() -> BearerTokenCheck.tokenFromEnvironment(Map.of("T", "a", "T_FILE", "/x"), "T"))
                .hasMessageContaining("both T and T_FILE are set");
        assertThatThrownBy(() -> BearerTokenCheck.tokenFromEnvironment(
                        Map.of("T_FILE", dir.resolve("missing").toString()), "T"))
                .hasMessageContaining("T_FILE names")
                .hasMessageContaining("cannot be read");
        assertThatThrownBy(() -> BearerTokenCheck.tokenFromEnvironment(Map.of("T_FILE", empty.toString()), "T"))
                .hasMessageContaining("which is empty");
    }
}
