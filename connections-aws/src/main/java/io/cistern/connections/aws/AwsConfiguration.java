package io.cistern.connections.aws;

import io.cistern.connections.EnvironmentReader;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.rds.RdsUtilities;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClientBuilder;

/**
 * The AWS SDK's configuration, built from the variables Cistern was given (the map of {@link EnvironmentReader}, which
 * is the process environment in production and a test's own map in tests) rather than from {@code System.getenv}
 * where the SDK allows it: {@code AWS_REGION} (else the region in a secret's ARN), {@code AWS_ACCESS_KEY_ID} with
 * {@code AWS_SECRET_ACCESS_KEY} (and {@code AWS_SESSION_TOKEN}) when set, else the SDK's default credentials chain
 * (instance profile, ECS task role, web identity, {@code ~/.aws}); {@code AWS_ENDPOINT_URL_SECRETS_MANAGER}, else
 * {@code AWS_ENDPOINT_URL}: the SDK's own names for an endpoint override (a VPC endpoint, or a test's stand-in).
 */
record AwsConfiguration(Region region, AwsCredentialsProvider credentials, Optional<URI> secretsManagerEndpoint) {
    /** Bounds one GetSecretValue call, so that an unreachable endpoint fails startup with a message, not a hang. */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(10);

    /**
     * @param variable the variable that asked for AWS ({@code AWS_DB_SECRET}, {@code DB_IAM_AUTH}), for messages
     * @param secret the secret's name or ARN, whose region is used when {@code AWS_REGION} is not set; null for IAM
     */
    static AwsConfiguration fromEnvironment(EnvironmentReader env, String variable, String secret) {
        Optional<String> regionName = env.get("AWS_REGION").or(() -> env.get("AWS_DEFAULT_REGION"));
        if (regionName.isEmpty() && secret != null && secret.startsWith("arn:")) {
            // arn:aws:secretsmanager:<region>:<account>:secret:<name>
            String[] parts = secret.split(":", 6);
            if (parts.length == 6 && !parts[3].isEmpty()) {
                regionName = Optional.of(parts[3]);
            }
        }
        if (regionName.isEmpty()) {
            throw new IllegalArgumentException(variable + " is set but AWS_REGION is not: set AWS_REGION to the"
                    + " database's region (for example eu-west-1)");
        }
        Optional<String> keyId = env.get("AWS_ACCESS_KEY_ID");
        Optional<String> secretKey = env.get("AWS_SECRET_ACCESS_KEY");
        if (keyId.isPresent() != secretKey.isPresent()) {
            throw new IllegalArgumentException((keyId.isPresent() ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY")
                    + " is set without " + (keyId.isPresent() ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID")
                    + ": set both, or neither to use the instance's or task's role");
        }
        AwsCredentialsProvider credentials;
        if (keyId.isPresent()) {
            Optional<String> session = env.get("AWS_SESSION_TOKEN");
            credentials = StaticCredentialsProvider.create(
                    session.isPresent()
                            ? AwsSessionCredentials.create(keyId.get(), secretKey.get(), session.get())
                            : AwsBasicCredentials.create(keyId.get(), secretKey.get()));
        } else {
            credentials = DefaultCredentialsProvider.builder().build();
        }
        Optional<String> endpointVariable = Optional.of("AWS_ENDPOINT_URL_SECRETS_MANAGER")
                .filter(env::isSet)
                .or(() -> Optional.of("AWS_ENDPOINT_URL").filter(env::isSet));
        Optional<URI> endpoint =
                endpointVariable.map(name -> endpoint(name, env.get(name).orElseThrow()));
        return new AwsConfiguration(Region.of(regionName.get()), credentials, endpoint);
    }

    private static URI endpoint(String name, String value) {
        try {
            URI uri = new URI(value);
            if (uri.getScheme() == null || uri.getHost() == null) {
                throw new URISyntaxException(value, "no scheme or host");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(
                    name + " must be a URL such as https://secretsmanager.eu-west-1.amazonaws.com, was '" + value + "'",
                    e);
        }
    }

    /** A Secrets Manager client on the JDK's HTTP client; the caller closes it. */
    SecretsManagerClient secretsManager() {
        SecretsManagerClientBuilder builder = SecretsManagerClient.builder()
                .region(region)
                .credentialsProvider(credentials)
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(CONNECT_TIMEOUT)
                        .socketTimeout(SOCKET_TIMEOUT));
        secretsManagerEndpoint.ifPresent(builder::endpointOverride);
        return builder.build();
    }

    /** Makes RDS IAM tokens: a presigned URL, computed locally (no call to AWS). */
    IamTokenCredentials.TokenGenerator tokenGenerator() {
        RdsUtilities utilities = RdsUtilities.builder()
                .region(region)
                .credentialsProvider(credentials)
                .build();
        return (host, port, user) -> {
            try {
                return utilities.generateAuthenticationToken(
                        request -> request.hostname(host).port(port).username(user));
            } catch (SdkException e) {
                // No AWS credentials could be found, typically; the message never holds a secret key.
                throw new IllegalStateException(
                        "could not make an RDS IAM token for " + user + "@" + host + ":" + port + " (DB_IAM_AUTH): "
                                + e.getMessage()
                                + "; give the process AWS credentials (a role, or AWS_ACCESS_KEY_ID and"
                                + " AWS_SECRET_ACCESS_KEY)",
                        e);
            }
        };
    }
}
