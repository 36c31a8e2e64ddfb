package io.cistern.spring.boot;

import io.cistern.schema.failure.SqlFailure;
import io.cistern.schema.failure.SqlFailureKind;
import io.cistern.schema.failure.SqlStates;
import java.sql.SQLException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.env.Environment;

/**
 * Start-up failed because PostgreSQL could not be reached, or refused the application's user or database: names the
 * {@code spring.datasource.*} property to fix. Cistern's own beans start without PostgreSQL (writes go to Redis, the
 * embedded worker keeps retrying); what fails here is a start-up step of the application that needs it, such as a
 * schema migration or a query in a runner. Decided by {@link SqlStates}, as everywhere in Cistern; other SQL failures are
 * left to other analyzers.
 */
final class DatabaseUnavailableFailureAnalyzer extends AbstractFailureAnalyzer<SQLException> {
    private final Environment environment;

    DatabaseUnavailableFailureAnalyzer(Environment environment) {
        this.environment = environment;
    }

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, SQLException cause) {
        SqlFailure failure = SqlStates.classify(cause);
        String state = failure.sqlState();
        if (state.isEmpty()) {
            return null;
        }
        String url = ConfiguredServers.databaseUrl(environment);
        String user = environment.getProperty("spring.datasource.username", "(spring.datasource.username not set)");
        String where = "PostgreSQL at " + url + " (user " + user + ")";
        String detail = ConfiguredServers.scrub(failure.message(), environment);
        if (failure.kind() == SqlFailureKind.CONNECTION) {
            return new FailureAnalysis(
                    where + " could not be reached: " + detail,
                    "Start PostgreSQL there, or point spring.datasource.url (jdbc:postgresql://host:port/database),"
                            + " spring.datasource.username and spring.datasource.password at a running server.",
                    rootFailure);
        }
        return switch (state) {
            case "28P01" ->
                new FailureAnalysis(
                        where + " rejected the password: " + detail,
                        "Set spring.datasource.password to the password of " + user
                                + " (and check spring.datasource.username).",
                        rootFailure);
            case "28000" ->
                new FailureAnalysis(
                        where + " did not accept the connection: " + detail,
                        "Check spring.datasource.username; if the server names pg_hba.conf, add a line for this"
                                + " client, user and database there (or use TLS: ?sslmode=verify-full in"
                                + " spring.datasource.url).",
                        rootFailure);
            case "3D000" ->
                new FailureAnalysis(
                        where + ": the database does not exist: " + detail,
                        "Fix the database name at the end of spring.datasource.url, or create it (CREATE DATABASE).",
                        rootFailure);
            default -> null;
        };
    }
}
