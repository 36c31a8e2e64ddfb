package io.cistern.writer.http;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.connections.Secret;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BearerTokenCheckTest {
    private final BearerTokenCheck check = new BearerTokenCheck(Optional.of(Secret.of("t0ken")));

    @Test
    void withoutConfiguredToken_everyRequestPasses() {
        BearerTokenCheck off = new BearerTokenCheck(Optional.empty());

        assertThatCode(() -> off.check(null)).doesNotThrowAnyException();
    }

    @Test
    void missingHeader_isRefusedWith401() {
        assertThatThrownBy(() -> check.check(null))
                .isInstanceOfSatisfying(RequestRefusedException.class, e -> {
                    org.assertj.core.api.Assertions.assertThat(e.status()).isEqualTo(401);
                    org.assertj.core.api.Assertions.assertThat(e.code()).isEqualTo("UNAUTHORIZED");
                })
                .hasMessageContaining("Authorization: Bearer");
    }

    @Test
    void otherScheme_isRefused() {
        assertThatThrownBy(() -> check.check("Basic dDBrZW4="))
                .isInstanceOf(RequestRefusedException.class)
                .hasMessageNotContaining("dDBrZW4=");
    }

    @Test
    void wrongToken_isRefusedWithoutEchoingEither() {
        assertThatThrownBy(() -> check.check("Bearer t0ken-guess"))
                .isInstanceOf(RequestRefusedException.class)
                .hasMessageContaining("not valid")
                .hasMessageNotContaining("t0ken");
    }

    @Test
    void rightToken_passes_whateverTheCaseOfTheScheme() {
        assertThatCode(() -> check.check("Bearer t0ken")).doesNotThrowAnyException();
        assertThatCode(() -> check.check("bearer t0ken")).doesNotThrowAnyException();
    }

    @Test
    void prefixOfTheToken_isRefused() {
        assertThatThrownBy(() -> check.check("Bearer t0ke")).isInstanceOf(RequestRefusedException.class);
    }
}
