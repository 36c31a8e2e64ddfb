package io.cistern.writer.http;

import io.cistern.schema.codec.ExactJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import tools.jackson.databind.JsonNode;

/** Plain {@code java.net.http} calls to the service under test; the path goes on the wire exactly as given. */
final class HttpTestClient {
    private static final HttpClient CLIENT =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final String token;

    private HttpTestClient(String base, String token) {
        this.base = base;
        this.token = token;
    }

    /** A client of the service on {@code port}, without credentials. */
    static HttpTestClient onPort(int port) {
        return new HttpTestClient("http://127.0.0.1:" + port, null);
    }

    /** The same client, sending {@code Authorization: Bearer <bearer>}. */
    HttpTestClient withToken(String bearer) {
        return new HttpTestClient(base, bearer);
    }

    record Response(int status, HttpResponse<String> raw) {
        JsonNode json() {
            return ExactJson.mapper().readTree(raw.body());
        }

        String body() {
            return raw.body();
        }

        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    Response send(String method, String path, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(20))
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        try {
            HttpResponse<String> response =
                    CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Response(response.statusCode(), response);
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    Response put(String path, String body) {
        return send("PUT", path, body);
    }

    Response patch(String path, String body) {
        return send("PATCH", path, body);
    }

    Response delete(String path) {
        return send("DELETE", path, null);
    }

    Response post(String path, String body) {
        return send("POST", path, body);
    }

    Response get(String path) {
        return send("GET", path, null);
    }
}
