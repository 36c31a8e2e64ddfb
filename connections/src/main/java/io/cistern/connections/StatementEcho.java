package io.cistern.connections;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code SQL_ECHO=true}: logs each statement a pool's connections send, at INFO on logger {@code
 * io.cistern.connections.StatementEcho}, as {@code [pool] SELECT ... WHERE id = ?}. Values are never logged: bound
 * parameters are not part of the text, and string literals in it are replaced by {@code '****'} (a literal may hold a
 * secret, as in {@code ALTER ROLE ... PASSWORD '...'}). Statements are logged when executed ({@code execute*}, {@code
 * executeBatch} with its size), not when prepared. {@code COPY} through pgjdbc's {@code CopyManager} is not a JDBC
 * statement and is not logged.
 *
 * <p>Built as a {@link DataSource} that opens pgjdbc connections as the pool would and wraps them in JDK proxies, so
 * that no pool or driver internals are touched and {@code unwrap} still reaches the driver's own classes. Used only
 * when {@link DatabaseSettings#sqlEcho()} is on; without it the pool opens its connections itself, as always.
 */
final class StatementEcho {
    private static final Logger LOG = LoggerFactory.getLogger(StatementEcho.class);

    /** A single-quoted SQL string literal, doubled quotes included; {@code E'...'} escapes are covered well enough. */
    private static final Pattern STRING_LITERAL = Pattern.compile("'(?:[^']|'')*'");

    private StatementEcho() {}

    /** A data source whose connections log what they execute, for the pool named {@code poolName}. */
    static DataSource dataSource(DatabaseSettings settings, String poolName) {
        if (settings.credentials().isPresent()) {
            // Each connection's login comes from the credentials: the driver properties are not fixed.
            return new EchoDataSource(new LoginDataSource(settings, poolName), poolName);
        }
        return new EchoDataSource(settings.jdbcUrl(), settings.driverProperties(), poolName);
    }

    /** {@code sql} with every string literal replaced by {@code '****'}. */
    static String redact(String sql) {
        return STRING_LITERAL.matcher(sql).replaceAll("'****'");
    }

    private static void log(String pool, String sql, String suffix) {
        if (LOG.isInfoEnabled()) {
            LOG.info(
                    "[{}] {}{}",
                    pool,
                    redact(sql == null ? "(no SQL text)" : sql).strip(),
                    suffix);
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, Object target, String pool, String sql) {
        return (T) Proxy.newProxyInstance(
                StatementEcho.class.getClassLoader(), new Class<?>[] {type}, new Echo(target, pool, sql));
    }

    /** Passes every call on; logs executions, and wraps the statements a connection makes. */
    private static final class Echo implements InvocationHandler {
        private final Object target;
        private final String pool;
        private final String sql;

        Echo(Object target, String pool, String sql) {
            this.target = target;
            this.pool = pool;
            this.sql = sql;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            String name = method.getName();
            if (name.equals("unwrap") && args != null && args[0] instanceof Class<?> type && type.isInstance(proxy)) {
                return proxy;
            }
            if (name.equals("isWrapperFor")
                    && args != null
                    && args[0] instanceof Class<?> type
                    && type.isInstance(proxy)) {
                return true;
            }
            boolean textGiven = args != null && args.length > 0 && args[0] instanceof String;
            if (target instanceof Statement) {
                if (name.equals("executeBatch") || name.equals("executeLargeBatch")) {
                    log(pool, sql, " (batch)");
                } else if (name.startsWith("execute")) {
                    log(pool, textGiven ? (String) args[0] : sql, "");
                }
            }
            Object result;
            try {
                result = method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            if (target instanceof Connection && result != null) {
                if (name.equals("prepareCall")) {
                    return proxy(CallableStatement.class, result, pool, (String) args[0]);
                }
                if (name.equals("prepareStatement")) {
                    return proxy(PreparedStatement.class, result, pool, (String) args[0]);
                }
                if (name.equals("createStatement")) {
                    return proxy(Statement.class, result, pool, null);
                }
            }
            return result;
        }
    }

    /** Opens connections as {@link DataSources#config} would have the pool open them. */
    private static final class EchoDataSource extends OpeningDataSource {
        private final String url;
        private final Properties properties;
        private final String pool;
        private final DataSource opener;

        EchoDataSource(String url, Properties properties, String pool) {
            this.url = url;
            this.properties = properties;
            this.pool = pool;
            this.opener = null;
        }

        EchoDataSource(DataSource opener, String pool) {
            this.url = null;
            this.properties = null;
            this.pool = pool;
            this.opener = opener;
        }

        @Override
        public Connection getConnection() throws SQLException {
            Connection connection =
                    opener != null ? opener.getConnection() : DriverManager.getConnection(url, properties);
            return proxy(Connection.class, connection, pool, null);
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            if (opener != null) {
                return proxy(Connection.class, opener.getConnection(username, password), pool, null);
            }
            Properties given = new Properties();
            given.putAll(properties);
            given.setProperty("user", username);
            if (password != null) {
                given.setProperty("password", password);
            }
            return proxy(Connection.class, DriverManager.getConnection(url, given), pool, null);
        }

        @Override
        String name() {
            return "StatementEcho's data source";
        }
    }
}
