package io.cistern.connections.aws;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for AWS Secrets Manager on 127.0.0.1, started by a test: it answers {@code GetSecretValue} in the
 * service's JSON protocol (POST to {@code /}, {@code X-Amz-Target: secretsmanager.GetSecretValue}, {@code
 * application/x-amz-json-1.1}) from secrets the test puts and changes, and {@code ResourceNotFoundException} for any
 * other name. It is not AWS: it checks no signature (it only records that one was sent) and knows no other operation.
 * The SDK reaches it through {@code AWS_ENDPOINT_URL_SECRETS_MANAGER}, so no request leaves the machine.
 */
final class SecretsManagerStandIn implements AutoCloseable {
    private static final Pattern SECRET_ID = Pattern.compile("\"SecretId\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** One request as received. */
    record Request(String target, String contentType, String secretId, boolean signed) {}

    private final HttpServer server;
    private final Map<String, String[]> secrets = new HashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private int versions;

    private SecretsManagerStandIn(HttpServer server) {
        this.server = server;
    }

    static SecretsManagerStandIn start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        SecretsManagerStandIn standIn = new SecretsManagerStandIn(server);
        server.createContext("/", standIn::handle);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
        return standIn;
    }

    /** What {@code AWS_ENDPOINT_URL_SECRETS_MANAGER} should be. */
    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The variables that point the SDK here with static credentials, and nowhere else. */
    Map<String, String> environment(String secretName) {
        return Map.of(
                "AWS_DB_SECRET", secretName,
                "AWS_REGION", "eu-west-1",
                "AWS_ACCESS_KEY_ID", "AKIDSTANDIN",
                "AWS_SECRET_ACCESS_KEY", "stand-in-secret-key",
                "AWS_EC2_METADATA_DISABLED", "true",
                "AWS_ENDPOINT_URL_SECRETS_MANAGER", endpoint());
    }

    /** Sets (or rotates) the secret {@code name} to {@code json}: a new version. */
    synchronized void put(String name, String json) {
        versions++;
        secrets.put(name, new String[] {json, String.format("00000000-0000-4000-8000-%012d", versions)});
    }

    /** An RDS-shaped secret. */
    static String rdsSecret(String user, String password, String host, int port, String database) {
        return "{\"username\":\"" + user + "\",\"password\":\"" + password + "\",\"engine\":\"postgres\",\"host\":\""
                + host + "\",\"port\":" + port + ",\"dbname\":\"" + database + "\",\"dbInstanceIdentifier\":\"db\"}";
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    long fetches(String name) {
        return requests.stream().filter(r -> name.equals(r.secretId())).count();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
            Matcher id = SECRET_ID.matcher(body);
            String secretId = id.find() ? id.group(1) : null;
            requests.add(new Request(
                    target,
                    exchange.getRequestHeaders().getFirst("Content-Type"),
                    secretId,
                    exchange.getRequestHeaders().getFirst("Authorization") != null));
            if (!exchange.getRequestMethod().equals("POST") || !"secretsmanager.GetSecretValue".equals(target)) {
                reply(exchange, 400, error("UnknownOperationException", "the stand-in knows only GetSecretValue"));
                return;
            }
            String[] secret;
            synchronized (this) {
                secret = secretId == null ? null : secrets.get(secretId);
            }
            if (secret == null) {
                reply(
                        exchange,
                        400,
                        error("ResourceNotFoundException", "Secrets Manager can't find the specified secret."));
                return;
            }
            reply(
                    exchange,
                    200,
                    "{\"ARN\":\"arn:aws:secretsmanager:eu-west-1:123456789012:secret:" + secretId + "-AbCdEf\","
                            + "\"Name\":\"" + secretId + "\",\"VersionId\":\"" + secret[1] + "\","
                            + "\"SecretString\":" + quote(secret[0]) + ",\"VersionStages\":[\"AWSCURRENT\"],"
                            + "\"CreatedDate\":1.7e9}");
        }
    }

    private static String error(String type, String message) {
        return "{\"__type\":\"" + type + "\",\"message\":\"" + message + "\"}";
    }

    private static void reply(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
        exchange.getResponseHeaders().set("x-amzn-RequestId", "stand-in");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
