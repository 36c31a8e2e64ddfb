package io.cistern.spring.boot;

import io.cistern.schema.failure.PermanentException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.env.Environment;

/**
 * Start-up failed because Cistern is not initialised in the application's Redis under {@code cistern.key-prefix} (no
 * Function library, or no registry under that prefix), or its Function library is older than this build: gives the
 * {@code ops/cistern init} command for that Redis, database and prefix, or the property to check. When Redis holds
 * Cistern under another prefix, the description names it (found by {@code RedisRegistry}).
 */
final class CisternNotInitialisedFailureAnalyzer extends AbstractFailureAnalyzer<PermanentException> {
    private final Environment environment;

    CisternNotInitialisedFailureAnalyzer(Environment environment) {
        this.environment = environment;
    }

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, PermanentException cause) {
        boolean older = cause.code().equals("LIBRARY_OLDER");
        if (!older && !cause.code().equals("NOT_INITIALISED")) {
            return null;
        }
        String prefix = environment.getProperty("cistern.key-prefix", "cistern");
        String address = ConfiguredServers.redisAddress(environment);
        String user = environment.getProperty("spring.datasource.username");
        String init = "REDIS_URL=" + ConfiguredServers.redisUrlForInit(environment) + " DATABASE_URL="
                + ConfiguredServers.databaseUrl(environment) + (user == null ? "" : " DB_USER=" + user)
                + " CISTERN_PREFIX=" + prefix + " ops/cistern init";
        return new FailureAnalysis(
                "Cistern cannot start on the Redis at " + address + " (cistern.key-prefix=" + prefix + "): "
                        + cause.getMessage(),
                older
                        ? "Upgrade it by running `" + init + "` (with the credentials, as DB_PASSWORD and"
                                + " REDIS_PASSWORD, if the servers need them)."
                        : "Run `" + init + "` (with the credentials, as DB_PASSWORD and REDIS_PASSWORD, if the"
                                + " servers need them), or, if Cistern was initialised under another prefix, set"
                                + " cistern.key-prefix to that prefix.",
                rootFailure);
    }
}
