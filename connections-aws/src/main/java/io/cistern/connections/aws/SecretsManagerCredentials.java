package io.cistern.connections.aws;

import io.cistern.connections.DatabaseCredentials;
import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.Secret;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueResponse;

/**
 * A secret in AWS Secrets Manager in the shape RDS writes ({@code username}, {@code password}, {@code host}, {@code
 * port}, {@code dbname}, {@code engine}): fetched once when the settings are resolved, cached, and fetched again only
 * when the database refuses a login made with it ({@link #renew}), which is what a rotation causes. Thread-safe: the
 * cache is guarded by this object's lock (the fetch itself runs outside it, so logins go on meanwhile), and a refusal
 * already answered by another thread's fetch causes no second fetch. The client lives as long as the settings; it
 * holds no thread (the JDK's HTTP client), so nothing needs closing.
 *
 * <p>Neither the password nor the secret's text ever reaches a log line or a message: a secret that is not valid JSON
 * is reported by name and version only, and its parser's exception (which quotes the text) is not chained.
 */
final class SecretsManagerCredentials implements DatabaseCredentials {
    private static final Logger LOG = LoggerFactory.getLogger(SecretsManagerCredentials.class);

    private final SecretsManagerClient client;
    private final String variable;
    private final String name;
    private final String region;
    private RdsSecret current;

    private SecretsManagerCredentials(SecretsManagerClient client, String variable, String name, String region) {
        this.client = client;
        this.variable = variable;
        this.name = name;
        this.region = region;
    }

    /**
     * Fetches the secret {@code name} (given by {@code variable}) now, so that a missing secret or a missing permission
     * fails at startup.
     */
    static SecretsManagerCredentials fetch(SecretsManagerClient client, String variable, String name, String region) {
        SecretsManagerCredentials credentials = new SecretsManagerCredentials(client, variable, name, region);
        synchronized (credentials) {
            credentials.current = credentials.read();
        }
        return credentials;
    }

    @Override
    public synchronized Login login(DatabaseSettings settings) {
        return current.login();
    }

    @Override
    public boolean renew(Login refused) {
        synchronized (this) {
            if (!current.login().equals(refused)) {
                // Another connection's refusal already brought a newer login.
                return true;
            }
        }
        RdsSecret fetched = read();
        synchronized (this) {
            boolean changed = !fetched.login().equals(current.login());
            current = fetched;
            return changed;
        }
    }

    @Override
    public Map<String, String> connection() {
        synchronized (this) {
            return current.connection();
        }
    }

    @Override
    public String variable() {
        return variable;
    }

    @Override
    public String describe() {
        return "AWS Secrets Manager secret " + name + " in " + region + " (" + variable + ")";
    }

    @Override
    public String toString() {
        return describe();
    }

    private RdsSecret read() {
        GetSecretValueResponse response;
        try {
            response = client.getSecretValue(request -> request.secretId(name));
        } catch (SdkException e) {
            // The SDK's messages name the secret, the error code and the request, never the secret's value.
            throw new IllegalStateException(
                    "could not read " + describe() + ": " + e.getMessage()
                            + "; check the name, the region and that this process's role may call"
                            + " secretsmanager:GetSecretValue on it",
                    e);
        }
        if (response.secretString() == null) {
            throw new IllegalStateException(describe() + " holds binary data, not the JSON RDS writes ({\"username\":"
                    + " ..., \"password\": ...}): store it as a secret string");
        }
        RdsSecret secret = RdsSecret.parse(response.secretString(), describe() + ", version " + response.versionId());
        LOG.info(
                "read {}, version {}: user {}{}",
                describe(),
                response.versionId(),
                secret.login().user(),
                secret.connection().containsKey("host")
                        ? ", host " + secret.connection().get("host")
                        : "");
        return secret;
    }

    /** The fields Cistern uses of RDS's secret. */
    record RdsSecret(Login login, Map<String, String> connection) {
        /** PostgreSQL's engine names in RDS secrets; another engine's secret is a mistake worth naming. */
        private static final java.util.List<String> ENGINES = java.util.List.of("postgres", "aurora-postgresql");

        static RdsSecret parse(String text, String what) {
            JsonNode json;
            try {
                json = JsonNode.parser().parse(text);
            } catch (RuntimeException e) {
                // Not chained: the parser's message quotes the text, which holds the password.
                throw new IllegalStateException(what + " is not JSON: store it in the shape RDS writes, {\"username\":"
                        + " ..., \"password\": ..., \"host\": ..., \"port\": ..., \"dbname\": ...}");
            }
            if (!json.isObject()) {
                throw new IllegalStateException(what + " is not a JSON object: store it in the shape RDS writes");
            }
            String user = field(json, "username", what).orElseThrow(() -> missing(what, "username"));
            String password = field(json, "password", what).orElseThrow(() -> missing(what, "password"));
            Optional<String> engine = field(json, "engine", what);
            if (engine.isPresent() && !ENGINES.contains(engine.get().toLowerCase(Locale.ROOT))) {
                throw new IllegalStateException(what + " is for engine " + engine.get()
                        + ", not PostgreSQL: name the secret of the PostgreSQL database");
            }
            Map<String, String> connection = new LinkedHashMap<>();
            field(json, "host", what).ifPresent(host -> connection.put("host", host));
            field(json, "port", what).ifPresent(port -> connection.put("port", port));
            field(json, "dbname", what).ifPresent(database -> connection.put("database", database));
            connection.put("user", user);
            return new RdsSecret(new Login(user, Secret.of(password)), Map.copyOf(connection));
        }

        /** A string or number field as text; empty when absent or null. */
        private static Optional<String> field(JsonNode json, String name, String what) {
            Optional<JsonNode> node = json.field(name).filter(n -> !n.isNull());
            if (node.isEmpty()) {
                return Optional.empty();
            }
            if (node.get().isString()) {
                return Optional.of(node.get().asString()).filter(s -> !s.isBlank());
            }
            if (node.get().isNumber()) {
                return Optional.of(node.get().asNumber());
            }
            throw new IllegalStateException(what + ": field " + name + " must be a string or a number");
        }

        private static IllegalStateException missing(String what, String field) {
            return new IllegalStateException(
                    what + " has no " + field + ": RDS's secrets have username and password;" + " add the field");
        }
    }
}
