package io.cistern.connections.aws;

import io.cistern.connections.DatabaseCredentials;
import io.cistern.connections.EnvironmentReader;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * The {@link DatabaseCredentials.Source} of this module, found by {@link java.util.ServiceLoader}: a secret in AWS
 * Secrets Manager when {@code AWS_DB_SECRET} (or {@code AWS_SECRET_NAME}) is set, RDS IAM tokens when {@code
 * DB_IAM_AUTH=true}. Both at once is an error: the secret's password and a token cannot both be the password.
 */
public final class AwsCredentialSource implements DatabaseCredentials.Source {
    /** The lifetime of an RDS IAM token, fixed by RDS. */
    static final Duration TOKEN_VALIDITY = Duration.ofMinutes(15);

    /** How long a token is used before a new one is made: a minute before it expires. */
    static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofMinutes(14);

    @Override
    public Optional<DatabaseCredentials> fromEnvironment(EnvironmentReader env) {
        Optional<SecretName> secret = secretName(env);
        boolean iam = env.bool("DB_IAM_AUTH", false);
        if (secret.isPresent() && iam) {
            throw new IllegalArgumentException(
                    secret.get().variable() + " and DB_IAM_AUTH=true are both set: the password comes"
                            + " either from the secret or as an IAM token; unset one of them");
        }
        if (!iam && env.isSet("DB_IAM_TOKEN_LIFETIME_MS")) {
            env.warn("DB_IAM_TOKEN_LIFETIME_MS is ignored: DB_IAM_AUTH is not true (the password comes from "
                    + secret.map(SecretName::variable).orElse("the secret") + ")");
        }
        if (secret.isPresent()) {
            SecretName name = secret.get();
            AwsConfiguration aws = AwsConfiguration.fromEnvironment(env, name.variable(), name.name());
            return Optional.of(SecretsManagerCredentials.fetch(
                    aws.secretsManager(),
                    name.variable(),
                    name.name(),
                    aws.region().id()));
        }
        if (iam) {
            AwsConfiguration aws = AwsConfiguration.fromEnvironment(env, "DB_IAM_AUTH", null);
            Duration lifetime = env.millis(
                    "DB_IAM_TOKEN_LIFETIME_MS", DEFAULT_TOKEN_LIFETIME, 1_000, TOKEN_VALIDITY.toMillis() - 1_000);
            return Optional.of(new IamTokenCredentials(aws.tokenGenerator(), lifetime, Clock.systemUTC()));
        }
        return Optional.empty();
    }

    /** A secret's name or ARN, and the variable that gave it. */
    private record SecretName(String variable, String name) {}

    /** The secret to read: {@code AWS_DB_SECRET}, else {@code AWS_SECRET_NAME}. */
    private static Optional<SecretName> secretName(EnvironmentReader env) {
        Optional<String> dbSecret = env.get("AWS_DB_SECRET");
        Optional<String> secretName = env.get("AWS_SECRET_NAME");
        if (dbSecret.isPresent() && secretName.isPresent() && !dbSecret.get().equals(secretName.get())) {
            throw new IllegalArgumentException("AWS_DB_SECRET (" + dbSecret.get() + ") and AWS_SECRET_NAME ("
                    + secretName.get() + ") name different secrets: keep one of them (they have the same"
                    + " precedence, so neither wins)");
        }
        if (dbSecret.isPresent()) {
            return Optional.of(new SecretName("AWS_DB_SECRET", dbSecret.get()));
        }
        return secretName.map(name -> new SecretName("AWS_SECRET_NAME", name));
    }
}
