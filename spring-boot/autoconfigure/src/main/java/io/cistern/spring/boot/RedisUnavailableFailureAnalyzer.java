package io.cistern.spring.boot;

import io.cistern.connections.ConnectionFailure;
import io.cistern.connections.ConnectionFailureTranslator;
import io.cistern.connections.RedisSettings;
import io.lettuce.core.RedisConnectionException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.env.Environment;

/**
 * Start-up failed because Redis could not be reached or refused the application's credentials (Cistern's writer and
 * reader connect at start-up): says which address was tried and names the {@code spring.data.redis.*} properties to
 * fix, instead of a long stack trace. The kind of failure is decided by {@link ConnectionFailureTranslator}, the one
 * place that classifies connection failures.
 */
final class RedisUnavailableFailureAnalyzer extends AbstractFailureAnalyzer<RedisConnectionException> {
    private final Environment environment;

    RedisUnavailableFailureAnalyzer(Environment environment) {
        this.environment = environment;
    }

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, RedisConnectionException cause) {
        String address = ConfiguredServers.redisAddress(environment);
        ConnectionFailure.Problem problem;
        try {
            problem = ConnectionFailureTranslator.translate(
                            rootFailure, RedisSettings.of(ConfiguredServers.redisUrlForInit(environment)))
                    .problem();
        } catch (IllegalArgumentException e) {
            problem = ConnectionFailure.Problem.OTHER; // a Sentinel or Cluster address: no settings to classify with
        }
        String detail = ConfiguredServers.scrub(deepestMessage(cause), environment);
        return switch (problem) {
            case WRONG_PASSWORD, PASSWORD_MISSING ->
                new FailureAnalysis(
                        "Redis at " + address + " refused the application's credentials: " + detail,
                        "Set spring.data.redis.password (and spring.data.redis.username for an ACL user), or the"
                                + " user:password in spring.data.redis.url, to what the Redis at " + address
                                + " expects.",
                        rootFailure);
            case PERMISSION_DENIED ->
                new FailureAnalysis(
                        "Redis at " + address + " does not let the application's user run what Cistern needs: "
                                + detail,
                        "Grant the user spring.data.redis.username names Cistern's keys (~<cistern.key-prefix>:*) and"
                                + " its Function library (+fcall +function), or use a user that has them.",
                        rootFailure);
            case UNKNOWN_HOST ->
                new FailureAnalysis(
                        "Redis at " + address + " could not be reached: the host name does not resolve (" + detail
                                + ").",
                        "Check the host in spring.data.redis.url, or spring.data.redis.host, for typos.",
                        rootFailure);
            default ->
                new FailureAnalysis(
                        "Cistern could not connect to Redis at " + address + ": " + detail,
                        "Start Redis at " + address + " (ops/cistern up starts one), or point the application at"
                                + " the Redis Cistern was initialised in: spring.data.redis.url=redis://host:port, or"
                                + " spring.data.redis.host and spring.data.redis.port"
                                + " (spring.data.redis.sentinel.* for Sentinel).",
                        rootFailure);
        };
    }

    private static String deepestMessage(Throwable t) {
        String message = t.getMessage();
        for (Throwable c = t.getCause(); c != null; c = c.getCause()) {
            if (c.getMessage() != null) {
                message = c.getMessage();
            }
        }
        return message;
    }
}
