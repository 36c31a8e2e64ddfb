package io.cistern.connections;

import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.net.ssl.SSLException;

/**
 * The one place that turns connection failures into {@link ConnectionFailure}s whose messages say what happened and
 * what to check. PostgreSQL failures are classified by SQLSTATE, Redis failures by their error prefix ({@code
 * WRONGPASS}, {@code NOAUTH}, {@code NOPERM}), network and TLS failures by the exception types in the cause chain.
 * Details a type does not carry (the client address of a pg_hba rejection, the command of a NOPERM, pgjdbc's host-name
 * check) are read from the message text here and nowhere else.
 *
 * <p>Every message is scrubbed of the configured password, whatever the drivers put in theirs. Stateless and
 * thread-safe. Needs neither pgjdbc nor HikariCP: it reads {@link SQLException#getSQLState()}.
 */
public final class ConnectionFailureTranslator {
    private static final Pattern HBA = Pattern.compile(
            "no pg_hba\\.conf entry for host \"([^\"]*)\", user \"([^\"]*)\", database \"([^\"]*)\"(?:, (.*))?");
    /** PgBouncer's refusal of a startup parameter it does not handle ({@code options} above all). */
    private static final Pattern UNSUPPORTED_STARTUP_PARAMETER =
            Pattern.compile("unsupported startup parameter:? ?([A-Za-z_]+)");

    private static final Pattern NOPERM_COMMAND = Pattern.compile("'([^']+)' command");
    private static final Pattern NOPERM_USER = Pattern.compile("User (\\S+) has no permissions");

    private ConnectionFailureTranslator() {}

    /** {@code failure}, from connecting to or using PostgreSQL as {@code settings} says, explained. */
    public static ConnectionFailure translate(Throwable failure, DatabaseSettings settings) {
        if (failure instanceof ConnectionFailure already) {
            return already;
        }
        String where = "PostgreSQL at " + hostList(settings) + " (database " + settings.database() + ", user "
                + settings.user() + ")";
        String password = settings.password().map(Secret::reveal).orElse(null);
        Optional<SQLException> sql = chain(failure).stream()
                .filter(t -> t instanceof SQLException s
                        && s.getSQLState() != null
                        && !s.getSQLState().startsWith("08"))
                .map(SQLException.class::cast)
                .findFirst();
        if (sql.isPresent()) {
            ConnectionFailure byState = bySqlState(sql.get(), where, settings, failure, password);
            if (byState != null) {
                return byState;
            }
        }
        String tls = " (TLS: sslmode " + settings.sslMode()
                + settings.sslRootCert().map(p -> ", root certificate " + p).orElse("") + ")";
        for (Throwable t : chain(failure)) {
            String text = String.valueOf(t.getMessage());
            if (text.contains("but no password was provided")) {
                return failure(
                        ConnectionFailure.Problem.PASSWORD_MISSING,
                        where
                                + " asks for a password and none is configured: set DB_PASSWORD or DB_PASSWORD_FILE (or put"
                                + " it in DATABASE_URL)",
                        failure,
                        password);
            }
            Matcher startup = UNSUPPORTED_STARTUP_PARAMETER.matcher(text);
            if (startup.find()) {
                String parameter = startup.group(1);
                return failure(
                        ConnectionFailure.Problem.POOLER_REFUSED_STARTUP,
                        where + " is a connection pooler (PgBouncer) that refuses the startup parameter " + parameter
                                + (parameter.equals("options")
                                        ? ", which carries the statement and idle-in-transaction timeouts: set"
                                                + " DB_POOLER=pgbouncer, and Cistern sets them in each transaction"
                                                + " instead"
                                        : ", which pgjdbc sends at every connection: add it to PgBouncer's"
                                                + " ignore_startup_parameters (ignore_startup_parameters ="
                                                + " extra_float_digits)"),
                        failure,
                        password);
            }
            if (text.contains("does not support SSL")) {
                return failure(
                        ConnectionFailure.Problem.TLS_NOT_SUPPORTED,
                        where + " does not offer TLS, and DB_SSL_MODE is "
                                + settings.sslMode()
                                + ": turn TLS on in the server (ssl = on with a certificate), or set"
                                + " DB_SSL_MODE=prefer if an unencrypted connection is acceptable",
                        failure,
                        password);
            }
            if (text.contains("could not be verified by hostnameverifier") || text.contains("No subject alternative")) {
                return failure(
                        ConnectionFailure.Problem.HOST_NAME_MISMATCH,
                        where
                                + ": the server's certificate does not name the host "
                                + settings.primaryHost().host() + tls
                                + ": connect with a name the certificate lists (for RDS, the instance or cluster endpoint, not"
                                + " an IP address or a CNAME), or use DB_SSL_MODE=verify-ca to check only the signature",
                        failure,
                        password);
            }
        }
        return network(
                failure,
                where,
                settings.primaryHost().host(),
                "DB_HOST or DATABASE_URL",
                settings.connectTimeout().toMillis(),
                "DB_CONNECT_TIMEOUT_MS",
                tls,
                "DB_SSL_ROOT_CERT (for RDS: the" + " global-bundle.pem from https://truststore.pki.rds.amazonaws.com)",
                password);
    }

    /** {@code failure}, from connecting to or using Redis as {@code settings} says, explained. */
    public static ConnectionFailure translate(Throwable failure, RedisSettings settings) {
        if (failure instanceof ConnectionFailure already) {
            return already;
        }
        String where = "Redis at " + settings.redactedUrl();
        RedisCredentials credentials = RedisSettings.credentials(settings.uri()).orElse(null);
        String password =
                credentials != null && credentials.hasPassword() ? new String(credentials.getPassword()) : null;
        String configuredUser =
                credentials != null && credentials.hasUsername() ? credentials.getUsername() : "default";
        for (Throwable t : chain(failure)) {
            if (!(t instanceof RedisException) || t.getMessage() == null) {
                continue;
            }
            String text = t.getMessage();
            if (text.startsWith("WRONGPASS")) {
                return failure(
                        ConnectionFailure.Problem.WRONG_PASSWORD,
                        where
                                + " rejected the user name or password (WRONGPASS): check REDIS_PASSWORD or REDIS_PASSWORD_FILE"
                                + " and REDIS_USERNAME (or the user:password in REDIS_URL); an ACL user must be enabled (on)"
                                + " and hold that password (ACL GETUSER <user> on the server)",
                        failure,
                        password);
            }
            if (text.startsWith("NOAUTH")) {
                return failure(
                        ConnectionFailure.Problem.PASSWORD_MISSING,
                        where
                                + " requires authentication and no password is configured (NOAUTH): set REDIS_PASSWORD or"
                                + " REDIS_PASSWORD_FILE, or put user:password in REDIS_URL",
                        failure,
                        password);
            }
            if (text.startsWith("NOPERM")) {
                Matcher command = NOPERM_COMMAND.matcher(text);
                Matcher user = NOPERM_USER.matcher(text);
                String who = user.find() ? user.group(1) : configuredUser;
                String what = command.find()
                        ? "may not run the '" + command.group(1) + "' command: grant it with ACL SETUSER " + who + " +"
                                + command.group(1).toLowerCase(Locale.ROOT).replace(' ', '|')
                        : "may not do this (" + text + "): check the user's command, key and channel rules with ACL"
                                + " GETUSER " + who + " (Cistern's keys need ~cistern:* and its Function library"
                                + " +fcall +function)";
                return failure(
                        ConnectionFailure.Problem.PERMISSION_DENIED, where + ": the user " + what, failure, password);
            }
        }
        for (Throwable t : chain(failure)) {
            if (t instanceof RedisCommandTimeoutException) {
                return failure(
                        ConnectionFailure.Problem.TIMEOUT,
                        where + " did not answer a command within "
                                + settings.commandTimeout().toMillis()
                                + " ms (REDIS_COMMAND_TIMEOUT_MS): check the server's"
                                + " load (SLOWLOG GET, latency) and the network",
                        failure,
                        password);
            }
        }
        String tls = settings.uri().isSsl()
                ? " (TLS on, verify " + settings.uri().getVerifyMode().name().toLowerCase(Locale.ROOT)
                        + settings.tlsCaCert().map(p -> ", CA " + p).orElse("") + ")"
                : " (TLS off: use a rediss:// URL if the server accepts only TLS)";
        return network(
                failure,
                where,
                settings.uri().getHost(),
                "REDIS_URL",
                settings.connectTimeout().toMillis(),
                "REDIS_CONNECT_TIMEOUT_MS",
                tls,
                "REDIS_TLS_CA_CERT",
                password);
    }

    /**
     * The SQLSTATE when {@code e} says the server refused the login itself (28P01 wrong password, 28000 not authorized,
     * which is what a refused IAM token or a pg_hba {@code reject} gives): what a rotated secret or an expired token
     * causes. {@code null} for any other failure.
     */
    static String loginRefusal(SQLException e) {
        String state = e.getSQLState();
        return "28P01".equals(state) || "28000".equals(state) ? state : null;
    }

    private static ConnectionFailure bySqlState(
            SQLException e, String where, DatabaseSettings settings, Throwable failure, String password) {
        String state = e.getSQLState();
        String server = serverMessage(e);
        String passwordSource = settings.sources().getOrDefault("password", "no password variable");
        return switch (state) {
            case "28P01" ->
                failure(
                        ConnectionFailure.Problem.WRONG_PASSWORD,
                        where
                                + " rejected the password (28P01 password authentication failed)"
                                + (settings.credentials().isPresent()
                                        ? ": the password came from "
                                                + settings.credentials().get().describe()
                                                + "; check that it is the role's current password"
                                        : settings.password().isEmpty()
                                                ? ": no password is configured; set DB_PASSWORD or DB_PASSWORD_FILE"
                                                : ": check the password (from " + passwordSource
                                                        + "); a _FILE must hold only the"
                                                        + " password. Also check that the user exists and has a password (ALTER ROLE "
                                                        + settings.user()
                                                        + " PASSWORD '...'), and that it has not expired (VALID UNTIL)"),
                        failure,
                        password);
            case "28000" -> hba(server, where, settings, failure, password);
            case "3D000" ->
                failure(
                        ConnectionFailure.Problem.UNKNOWN_DATABASE,
                        where
                                + ": the database does not exist (3D000): check DB_NAME or the path of DATABASE_URL (from "
                                + settings.sources().getOrDefault("database", "the default")
                                + "), or create it: CREATE DATABASE "
                                + settings.database() + " OWNER " + settings.user(),
                        failure,
                        password);
            case "53300" ->
                failure(
                        ConnectionFailure.Problem.TOO_MANY_CONNECTIONS,
                        where
                                + ": all connection slots are taken (53300 " + server + "): lower DB_POOL_SIZE (now "
                                + settings.poolSize()
                                + ") across Cistern's services, end idle sessions (pg_stat_activity), or"
                                + " raise max_connections; `cistern doctor` checks that the pools fit",
                        failure,
                        password);
            case "42501" ->
                failure(
                        ConnectionFailure.Problem.PERMISSION_DENIED,
                        where + ": " + server
                                + " (42501): grant what the user needs, for a synced table GRANT SELECT, INSERT, UPDATE, DELETE"
                                + " ON <table> TO " + settings.user(),
                        failure,
                        password);
            case "57P03" ->
                failure(
                        ConnectionFailure.Problem.SERVER_STARTING,
                        where + " is not accepting connections" + " yet (57P03 " + server
                                + "): it is starting up, shutting down or recovering",
                        failure,
                        password);
            default -> null;
        };
    }

    private static ConnectionFailure hba(
            String server, String where, DatabaseSettings settings, Throwable failure, String password) {
        Matcher m = HBA.matcher(server);
        if (!m.find()) {
            if (server.contains("does not exist") && server.contains("role")) {
                return failure(
                        ConnectionFailure.Problem.UNKNOWN_USER,
                        where + ": the user does not exist (28000): check"
                                + " DB_USER (from " + settings.sources().getOrDefault("user", "the default")
                                + ") or create it: CREATE ROLE " + settings.user() + " LOGIN PASSWORD '...'",
                        failure,
                        password);
            }
            return failure(
                    ConnectionFailure.Problem.OTHER,
                    where + ": not authorized (28000 " + server + ")",
                    failure,
                    password);
        }
        String client = m.group(1);
        String encryption = m.group(4) == null ? "" : m.group(4);
        boolean usedTls = encryption.contains("SSL encryption") || encryption.contains("GSS encryption");
        String suggestion = "a line such as \"hostssl " + m.group(3) + " " + m.group(2) + " " + client
                + (client.contains(":") ? "/128" : "/32") + " scram-sha-256\" to pg_hba.conf and reload the server"
                + " (SELECT pg_reload_conf())";
        if (!usedTls && settings.sslMode() == SslMode.DISABLE) {
            return failure(
                    ConnectionFailure.Problem.TLS_REQUIRED,
                    where + " has no pg_hba.conf entry for client address "
                            + client
                            + " without TLS (28000), and DB_SSL_MODE is disable: the server most likely accepts only"
                            + " TLS connections (hostssl lines; on RDS rds.force_ssl=1); set DB_SSL_MODE=verify-full with"
                            + " DB_SSL_ROOT_CERT, or add " + suggestion,
                    failure,
                    password);
        }
        return failure(
                ConnectionFailure.Problem.NO_PG_HBA_ENTRY,
                where + " has no pg_hba.conf entry for client address "
                        + client + ", user " + m.group(2) + ", database " + m.group(3) + ", "
                        + (usedTls ? "with TLS" : "without TLS") + " (28000): add " + suggestion
                        + (usedTls
                                ? ""
                                : "; if the server has TLS, set DB_SSL_MODE=verify-full (lines marked hostssl match"
                                        + " only TLS connections)")
                        + ". The address is the one the server sees: behind NAT or a proxy it is not this machine's",
                failure,
                password);
    }

    private static ConnectionFailure network(
            Throwable failure,
            String where,
            String host,
            String hostVariable,
            long timeoutMillis,
            String timeoutVariable,
            String tls,
            String caVariable,
            String password) {
        for (Throwable t : chain(failure)) {
            if (t instanceof UnknownHostException) {
                return failure(
                        ConnectionFailure.Problem.UNKNOWN_HOST,
                        where + ": the host name " + quoted(host)
                                + " does not resolve: check " + hostVariable
                                + " for typos; if it was pasted or read from a"
                                + " file, look for stray spaces, quotes or line breaks around it; inside a container, check that"
                                + " the name is resolvable from that network",
                        failure,
                        password);
            }
        }
        for (Throwable t : chain(failure)) {
            if (t instanceof CertPathValidatorException || t instanceof CertPathBuilderException) {
                return failure(
                        ConnectionFailure.Problem.CERTIFICATE_NOT_TRUSTED,
                        where
                                + ": the server's certificate is not signed by a trusted CA" + tls + ": set "
                                + caVariable
                                + " to the CA that signed it",
                        failure,
                        password);
            }
            if (t instanceof CertificateException
                    && String.valueOf(t.getMessage()).contains("No subject alternative")) {
                return failure(
                        ConnectionFailure.Problem.HOST_NAME_MISMATCH,
                        where
                                + ": the server's certificate does not name the host " + host + tls
                                + ": connect with a name the certificate lists",
                        failure,
                        password);
            }
        }
        for (Throwable t : chain(failure)) {
            if (t instanceof SSLException) {
                return failure(
                        ConnectionFailure.Problem.TLS_FAILED,
                        where + ": TLS failed" + tls + " ("
                                + t.getClass().getSimpleName() + ": " + t.getMessage()
                                + "): check that the server has TLS on"
                                + " that port and that its certificate is valid",
                        failure,
                        password);
            }
        }
        for (Throwable t : chain(failure)) {
            String type = t.getClass().getSimpleName();
            if (t instanceof SocketTimeoutException || type.equals("ConnectTimeoutException")) {
                return failure(
                        ConnectionFailure.Problem.TIMEOUT,
                        where + " did not answer within " + timeoutMillis
                                + " ms (" + timeoutVariable
                                + "): check the host and port, and that no firewall or security"
                                + " group drops the packets (a refusal would be immediate)",
                        failure,
                        password);
            }
        }
        for (Throwable t : chain(failure)) {
            if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
                return failure(
                        ConnectionFailure.Problem.CONNECTION_REFUSED,
                        where + " refused the connection: check"
                                + " that the server is running and listens on that address and port (PostgreSQL:"
                                + " listen_addresses and port; Redis: bind and port), and the port in " + hostVariable,
                        failure,
                        password);
            }
        }
        for (Throwable t : chain(failure)) {
            String text = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            if (text.contains("timed out") || text.contains("timeout")) {
                return failure(
                        ConnectionFailure.Problem.TIMEOUT,
                        where + " did not answer within " + timeoutMillis + " ms (" + timeoutVariable
                                + "): check that the server is running and reachable",
                        failure,
                        password);
            }
        }
        for (Throwable t : chain(failure)) {
            String text = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            if (t instanceof java.net.SocketException && text.contains("connection reset")) {
                // A server that resets a fresh connection at once usually expects TLS and got plain text.
                return failure(
                        ConnectionFailure.Problem.CONNECTION_RESET,
                        where + " accepted the connection and reset it at once" + tls
                                + "; a server that accepts only TLS does that to a plain client, and a proxy or"
                                + " tunnel that cannot reach the server does too",
                        failure,
                        password);
            }
        }
        String causes = chain(failure).stream()
                .map(t -> t.getClass().getSimpleName() + ": " + t.getMessage())
                .collect(Collectors.joining("; caused by "));
        return failure(ConnectionFailure.Problem.OTHER, where + ": " + causes, failure, password);
    }

    private static ConnectionFailure failure(
            ConnectionFailure.Problem problem, String message, Throwable cause, String password) {
        String safe = password == null || password.isEmpty() ? message : message.replace(password, "****");
        return new ConnectionFailure(problem, safe, cause);
    }

    /** The server's own message (pgjdbc puts it first, followed by details on further lines). */
    private static String serverMessage(SQLException e) {
        String message = String.valueOf(e.getMessage());
        String first = message.lines().findFirst().orElse(message);
        return first.replaceFirst("^(FATAL|ERROR): ", "");
    }

    private static String hostList(DatabaseSettings settings) {
        return settings.hosts().stream().map(DatabaseSettings.Host::toString).collect(Collectors.joining(","));
    }

    private static String quoted(String s) {
        return "'" + s + "'";
    }

    private static List<Throwable> chain(Throwable failure) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = failure; t != null && !chain.contains(t) && chain.size() < 20; t = t.getCause()) {
            chain.add(t);
            for (Throwable s : t.getSuppressed()) {
                if (!chain.contains(s)) {
                    chain.add(s);
                }
            }
        }
        return chain;
    }
}
