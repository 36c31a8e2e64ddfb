package io.cistern.connections.aws;

import io.cistern.connections.DatabaseCredentials;
import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.Secret;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RDS IAM authentication: each new connection's password is a token made by the SDK's {@code RdsUtilities} (a URL
 * presigned with the process's AWS credentials, computed locally), for the settings' first host, port and user. A
 * token is valid for 15 minutes; one is reused for {@code lifetime} ({@code DB_IAM_TOKEN_LIFETIME_MS}, 14 minutes by
 * default) from when it was made, then a new one is made, so no connection is opened with a token about to expire.
 * Open connections are not affected: PostgreSQL checks the token only at login. TLS is required (a token is a
 * password).
 *
 * <p>Timing comes from the {@link Clock} given, so tests control renewal. Thread-safe: the tokens are guarded by this
 * object's lock.
 */
final class IamTokenCredentials implements DatabaseCredentials {
    private static final Logger LOG = LoggerFactory.getLogger(IamTokenCredentials.class);

    /** Makes a token for a host, port and user; {@code RdsUtilities} in production. */
    @FunctionalInterface
    interface TokenGenerator {
        String token(String host, int port, String user);
    }

    private record Target(String host, int port, String user) {}

    private record Token(Secret value, Instant madeAt) {}

    private final TokenGenerator generator;
    private final Duration lifetime;
    private final Clock clock;
    private final Map<Target, Token> tokens = new HashMap<>();

    IamTokenCredentials(TokenGenerator generator, Duration lifetime, Clock clock) {
        if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(AwsCredentialSource.TOKEN_VALIDITY) >= 0) {
            throw new IllegalArgumentException("DB_IAM_TOKEN_LIFETIME_MS must be more than 0 and less than "
                    + AwsCredentialSource.TOKEN_VALIDITY.toMillis() + " (a token's 15 minutes), was "
                    + lifetime.toMillis());
        }
        this.generator = generator;
        this.lifetime = lifetime;
        this.clock = clock;
    }

    @Override
    public synchronized Login login(DatabaseSettings settings) {
        DatabaseSettings.Host host = settings.hosts().get(0);
        Target target = new Target(host.host(), host.port(), settings.user());
        Instant now = clock.instant();
        Token token = tokens.get(target);
        if (token == null || !now.isBefore(token.madeAt().plus(lifetime))) {
            token = new Token(Secret.of(generator.token(target.host(), target.port(), target.user())), now);
            tokens.put(target, token);
            LOG.debug("made an RDS IAM token for {}@{}, used until {}", target.user(), host, now.plus(lifetime));
        }
        return new Login(target.user(), token.value());
    }

    @Override
    public boolean requiresTls() {
        return true;
    }

    @Override
    public String variable() {
        return "DB_IAM_AUTH";
    }

    @Override
    public String describe() {
        return "RDS IAM tokens renewed every " + lifetime.toMillis() + " ms (DB_IAM_AUTH)";
    }

    @Override
    public String toString() {
        return describe();
    }
}
