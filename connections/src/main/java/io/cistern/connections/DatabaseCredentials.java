package io.cistern.connections;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the user and password of each new PostgreSQL connection come from when they are not fixed in the settings: a
 * secret that is rotated (AWS Secrets Manager, {@code AWS_DB_SECRET}) or a token that expires (RDS IAM, {@code
 * DB_IAM_AUTH=true}). {@link DatabaseSettings#driverProperties()} asks it for every connection it describes, and the
 * pools of {@link DataSources} ask it for every connection they open, so a rotated password or a renewed token is used
 * from the next new connection on; open connections keep the login they were made with (PostgreSQL checks a password
 * only at login).
 *
 * <p>Implementations live in optional modules ({@code cistern-connections-aws}) and are found by {@link
 * java.util.ServiceLoader} through {@link Source}, so that this module carries no cloud SDK. Setting {@code
 * AWS_DB_SECRET}, {@code AWS_SECRET_NAME} or {@code DB_IAM_AUTH=true} without such a module on the classpath is an error
 * that names the module. Implementations are thread-safe: every pool's connection adder calls them.
 */
public interface DatabaseCredentials {
    /** Cistern's variables for credential sources (those that ask for one, and their settings): known variables. */
    List<String> VARIABLES =
            List.of("AWS_DB_SECRET", "AWS_SECRET_NAME", "AWS_REGION", "DB_IAM_AUTH", "DB_IAM_TOKEN_LIFETIME_MS");

    /**
     * The AWS SDK's own variables that the AWS source also reads from the environment it is given (docs/aws.md): not
     * Cistern's, but not typos of an {@code AWS_} name either.
     */
    List<String> AWS_SDK_VARIABLES = List.of(
            "AWS_DEFAULT_REGION",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_SECRETS_MANAGER",
            "AWS_EC2_METADATA_DISABLED");

    /** The Maven module that provides the AWS sources, for messages. */
    String AWS_MODULE = "io.cistern:cistern-connections-aws";

    /**
     * The user and password for a new connection to the server {@code settings} describe (an IAM token is made for its
     * first host and its user). May fetch or generate them; cached by the implementation.
     *
     * @throws IllegalStateException when they cannot be had (the secret store cannot be reached, say); the message
     *     names the source and never a value
     */
    Login login(DatabaseSettings settings);

    /**
     * The server refused {@code refused} (SQLSTATE 28P01 or 28000): fetch them afresh. Returns whether the next {@link
     * #login} differs from {@code refused}, so that trying again at once may succeed; {@code false} when the source
     * still returns the refused login (the database has a rotated password the secret does not have yet), or when a
     * new login cannot help.
     */
    default boolean renew(Login refused) {
        return false;
    }

    /** Whether connections must use TLS ({@code sslmode} require or stronger): an IAM token must not travel in clear. */
    default boolean requiresTls() {
        return false;
    }

    /**
     * What the source says about where the database is, as RDS writes it into a secret: any of {@code host}, {@code
     * port}, {@code database}, {@code user}. Resolution ranks these with the alias families ({@code AWS_DB_*}, {@code
     * DATABASE_*}): {@code DATABASE_URL} and {@code DB_*} win over them.
     */
    default Map<String, String> connection() {
        return Map.of();
    }

    /** The variable that asked for this source, such as {@code AWS_DB_SECRET}, for messages and {@code config}. */
    String variable();

    /** The source, for the startup log and {@code config}: its kind and name, never a value. */
    String describe();

    /** A user and the password (or token) to log in with. {@code toString} hides the password. */
    record Login(String user, Secret password) {
        public Login {
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(password, "password");
        }
    }

    /**
     * Found by {@link java.util.ServiceLoader} ({@code META-INF/services/io.cistern.connections.DatabaseCredentials$Source}):
     * makes the credentials the environment asks for.
     */
    interface Source {
        /**
         * The credentials {@code environment} asks for, or empty when it asks for none this source provides.
         *
         * @throws IllegalArgumentException naming the variable when the configuration is wrong
         */
        Optional<DatabaseCredentials> fromEnvironment(EnvironmentReader environment);
    }
}
