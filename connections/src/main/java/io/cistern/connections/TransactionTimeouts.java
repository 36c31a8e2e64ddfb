package io.cistern.connections;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The statement and idle-in-transaction timeouts behind a transaction-mode pooler ({@link Pooler#PGBOUNCER}), where
 * they cannot travel as startup {@code options}: every transaction a pool's connection runs starts with {@code SET
 * LOCAL statement_timeout = ...; SET LOCAL idle_in_transaction_session_timeout = ...}, which ends with the transaction
 * and so never leaks into the server session the pooler hands to another client next.
 *
 * <p><b>Without an extra round trip where pgjdbc allows.</b> pgjdbc sends the statements of one SQL text, and its
 * {@code BEGIN}, in one round trip, each on the extended protocol and all before one Sync; PostgreSQL runs everything
 * up to the Sync in one transaction, also in autocommit mode (which is why a {@code SET LOCAL} sent this way holds for
 * the statement after it even in autocommit). So a statement that may start a transaction is prepared as {@code SET
 * LOCAL ...; SET LOCAL ...; <its SQL>}, and executing it skips the two {@code SET} results, so the caller sees only its
 * own. That is every statement in autocommit mode (each is a transaction of its own: the proxy's reads, the fence
 * token's grant) and a transaction's first statement otherwise. Where the text cannot carry the prefix, the two {@code
 * SET}s go first on their own, costing one round trip: a transaction whose first statement is a JDBC batch (pgjdbc
 * cannot batch a text of several statements) or a savepoint (a {@code SET LOCAL} after a savepoint is undone by
 * rolling back to it), or a statement prepared with generated keys. A batch in autocommit mode runs as a transaction
 * of its own that begins with them (two more round trips; only moving dead letters does that, rarely).
 * A statement prepared with generated keys or columns in autocommit mode runs without them (Cistern prepares none).
 *
 * <p>A statement in a transaction after its first carries no prefix: the values set by the first hold to the end of the
 * transaction. Statements the driver sends on its own (pgjdbc's {@code isValid}, an empty query) carry none either;
 * they run in microseconds.
 *
 * <p>Built, like {@code StatementEcho}, as a {@link DataSource} whose connections are JDK proxies over pgjdbc's, so no
 * pool or driver internals are touched and {@code unwrap} still reaches the driver's classes. Not thread-safe, as
 * JDBC connections are not: a connection's proxy knows whether its transaction has begun, a statement's what was set
 * on it, and the pool hands each connection to one thread at a time.
 */
final class TransactionTimeouts {
    /** What pooled connections answer {@code isWrapperFor} with, so components can tell ({@link DataSources}). */
    interface Marker {}

    /** The number of results the prefix adds before the statement's own. */
    private static final int PREFIX_RESULTS = 2;

    private static final Set<String> EXECUTE_ONE =
            Set.of("execute", "executeQuery", "executeUpdate", "executeLargeUpdate");

    /** The two {@code SET LOCAL}s a statement's SQL is prefixed with; ends with a space. */
    private final String prefix;

    private TransactionTimeouts(Duration statementTimeout, Duration idleInTransactionTimeout) {
        this.prefix = "SET LOCAL statement_timeout = " + statementTimeout.toMillis()
                + "; SET LOCAL idle_in_transaction_session_timeout = " + idleInTransactionTimeout.toMillis() + "; ";
    }

    /** {@code base}'s connections, each transaction of which sets {@code settings}' timeouts. */
    static DataSource wrap(DataSource base, DatabaseSettings settings) {
        TransactionTimeouts timeouts =
                new TransactionTimeouts(settings.statementTimeout(), settings.idleInTransactionTimeout());
        return timeouts.new TimeoutsDataSource(base);
    }

    private static Object call(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static Object wrapperAnswer(Object proxy, Object target, Method method, Object[] args) throws Throwable {
        Class<?> type = (Class<?>) args[0];
        if (type.isInstance(proxy)) {
            return method.getName().equals("unwrap") ? proxy : Boolean.TRUE;
        }
        return call(target, method, args);
    }

    /**
     * One pooled connection: knows whether the next statement may begin a transaction, and hands out statements that
     * set the timeouts when it does.
     */
    private final class TimeoutsConnection implements InvocationHandler {
        private final Connection target;
        /** Whether the next statement begins a transaction (always true in autocommit mode). */
        private boolean pending = true;

        TimeoutsConnection(Connection target) {
            this.target = target;
        }

        /** Whether the next statement executed needs the timeouts set before or with it. */
        boolean needsTimeouts() throws SQLException {
            return pending || target.getAutoCommit();
        }

        /** The transaction has begun with its timeouts set (in autocommit mode every statement is a new one). */
        void began() throws SQLException {
            if (!target.getAutoCommit()) {
                pending = false;
            }
        }

        /** Sets the timeouts on their own, a round trip, for a transaction that begins with what cannot carry them. */
        void setAlone() throws SQLException {
            if (pending && !target.getAutoCommit()) {
                try (Statement s = target.createStatement()) {
                    s.execute(prefix);
                }
                pending = false;
            }
        }

        /**
         * Executes a batch: after the timeouts on their own when it begins a transaction; in autocommit mode as a
         * transaction of its own that begins with them (pgjdbc sends an autocommit batch before one Sync, so it was
         * one implicit transaction already, all or nothing, and a {@code SET LOCAL} sent alone would not reach it).
         */
        Object executeBatch(Object statement, Method method, Object[] args) throws Throwable {
            if (!target.getAutoCommit()) {
                setAlone();
                return call(statement, method, args);
            }
            target.setAutoCommit(false);
            try {
                pending = true;
                setAlone();
                Object result = call(statement, method, args);
                target.commit();
                return result;
            } catch (Throwable t) {
                try {
                    target.rollback();
                } catch (SQLException e) {
                    t.addSuppressed(e);
                }
                throw t;
            } finally {
                target.setAutoCommit(true);
                pending = true;
            }
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            String name = method.getName();
            switch (name) {
                case "unwrap", "isWrapperFor" -> {
                    return wrapperAnswer(proxy, target, method, args);
                }
                case "setAutoCommit", "commit" -> {
                    Object result = call(target, method, args);
                    pending = true;
                    return result;
                }
                case "rollback" -> {
                    Object result = call(target, method, args);
                    if (args == null || args.length == 0) {
                        pending = true; // to a savepoint, the transaction goes on with its timeouts
                    }
                    return result;
                }
                case "setSavepoint" -> {
                    setAlone();
                    return call(target, method, args);
                }
                case "prepareStatement" -> {
                    String sql = (String) args[0];
                    boolean plainForm = args.length == 1 || args.length == 3;
                    return proxy(
                            PreparedStatement.class,
                            new TimeoutsPreparedStatement(this, sql, args, plainForm && needsTimeouts()));
                }
                case "createStatement" -> {
                    return proxy(Statement.class, new TimeoutsStatement(this, (Statement) call(target, method, args)));
                }
                default -> {
                    return call(target, method, args);
                }
            }
        }
    }

    /**
     * A prepared statement, prepared with the prefix or without. It records what is set on it, so that it can be
     * prepared again the other way with the same parameters: with the prefix, when a statement prepared inside a
     * transaction comes to begin one; without, when one prepared with it is batched.
     */
    private final class TimeoutsPreparedStatement implements InvocationHandler {
        private final TimeoutsConnection connection;
        private final String sql;
        private final Object[] prepareArgs;
        /**
         * What is set on the statement now, by parameter index or setting name, to set again on a statement prepared
         * the other way: the last value of each, so a statement executed many times keeps a bounded record.
         */
        private final Map<String, Map.Entry<Method, Object[]>> settings = new LinkedHashMap<>();

        private PreparedStatement target;
        private boolean prefixed;
        private boolean batched;

        TimeoutsPreparedStatement(TimeoutsConnection connection, String sql, Object[] prepareArgs, boolean prefixed)
                throws SQLException {
            this.connection = connection;
            this.sql = sql;
            this.prepareArgs = prepareArgs.clone();
            this.target = prepare(prefixed);
            this.prefixed = prefixed;
        }

        private PreparedStatement prepare(boolean withPrefix) throws SQLException {
            String text = withPrefix ? prefix + sql : sql;
            Connection c = connection.target;
            return switch (prepareArgs.length) {
                case 1 -> c.prepareStatement(text);
                case 2 ->
                    prepareArgs[1] instanceof Integer keys
                            ? c.prepareStatement(text, keys)
                            : prepareArgs[1] instanceof int[] indexes
                                    ? c.prepareStatement(text, indexes)
                                    : c.prepareStatement(text, (String[]) prepareArgs[1]);
                case 3 -> c.prepareStatement(text, (Integer) prepareArgs[1], (Integer) prepareArgs[2]);
                default ->
                    c.prepareStatement(
                            text, (Integer) prepareArgs[1], (Integer) prepareArgs[2], (Integer) prepareArgs[3]);
            };
        }

        /** Prepares the statement again, with or without the prefix, with everything set on it so far. */
        private void reprepare(boolean withPrefix) throws Throwable {
            PreparedStatement again = prepare(withPrefix);
            for (Map.Entry<Method, Object[]> setting : settings.values()) {
                call(again, setting.getKey(), setting.getValue());
            }
            target.close();
            target = again;
            prefixed = withPrefix;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            String name = method.getName();
            if (name.equals("unwrap") || name.equals("isWrapperFor")) {
                return wrapperAnswer(proxy, target, method, args);
            }
            if (name.equals("clearParameters")) {
                settings.keySet().removeIf(key -> key.startsWith("?"));
                return call(target, method, args);
            }
            if (name.startsWith("set") && args != null && !batched) {
                // setString(1, ...) and setNull(1, ...) set the same parameter; setQueryTimeout(5) is a setting.
                String key = args.length >= 2 && args[0] instanceof Integer index ? "?" + index : name;
                settings.remove(key);
                settings.put(key, Map.entry(method, args.clone()));
                return call(target, method, args);
            }
            if (name.equals("addBatch") && (args == null || args.length == 0)) {
                if (prefixed) {
                    reprepare(false); // pgjdbc cannot batch a text of several statements
                }
                batched = true;
                return call(target, method, args);
            }
            if (name.equals("executeBatch") || name.equals("executeLargeBatch")) {
                return connection.executeBatch(target, method, args);
            }
            if (EXECUTE_ONE.contains(name) && (args == null || args.length == 0)) {
                boolean plainForm = prepareArgs.length == 1 || prepareArgs.length == 3;
                if (connection.needsTimeouts()) {
                    if (!prefixed && plainForm && !batched) {
                        reprepare(true);
                    } else if (!prefixed) {
                        connection.setAlone();
                    }
                }
                if (!prefixed) {
                    return call(target, method, args);
                }
                target.execute();
                connection.began();
                return ownResult(target, name);
            }
            return call(target, method, args);
        }
    }

    /** A plain statement: its SQL comes with each execution, so the prefix is added there. */
    private final class TimeoutsStatement implements InvocationHandler {
        private final TimeoutsConnection connection;
        private final Statement target;

        TimeoutsStatement(TimeoutsConnection connection, Statement target) {
            this.connection = connection;
            this.target = target;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            String name = method.getName();
            if (name.equals("unwrap") || name.equals("isWrapperFor")) {
                return wrapperAnswer(proxy, target, method, args);
            }
            if (EXECUTE_ONE.contains(name) && args != null && args.length == 1 && connection.needsTimeouts()) {
                target.execute(prefix + args[0]);
                connection.began();
                return ownResult(target, name);
            }
            if (name.equals("executeBatch") || name.equals("executeLargeBatch")) {
                return connection.executeBatch(target, method, args);
            }
            if (name.startsWith("execute")) {
                connection.setAlone();
            }
            return call(target, method, args);
        }
    }

    /** After executing a prefixed text: skips the two {@code SET} results and answers as {@code method} would. */
    private static Object ownResult(Statement statement, String method) throws SQLException {
        for (int i = 0; i < PREFIX_RESULTS; i++) {
            statement.getMoreResults();
        }
        ResultSet rs = statement.getResultSet();
        return switch (method) {
            case "execute" -> rs != null;
            case "executeQuery" -> {
                if (rs == null) {
                    throw new SQLException("No results were returned by the query.", "02000");
                }
                yield rs;
            }
            case "executeLargeUpdate" -> Math.max(0L, statement.getLargeUpdateCount());
            default -> Math.max(0, statement.getUpdateCount());
        };
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, InvocationHandler handler) {
        return (T) Proxy.newProxyInstance(
                TransactionTimeouts.class.getClassLoader(), new Class<?>[] {type, Marker.class}, handler);
    }

    /** Opens {@code base}'s connections and wraps them. */
    private final class TimeoutsDataSource implements DataSource {
        private final DataSource base;

        TimeoutsDataSource(DataSource base) {
            this.base = base;
        }

        @Override
        public Connection getConnection() throws SQLException {
            return proxy(Connection.class, new TimeoutsConnection(base.getConnection()));
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            return proxy(Connection.class, new TimeoutsConnection(base.getConnection(username, password)));
        }

        @Override
        public PrintWriter getLogWriter() throws SQLException {
            return base.getLogWriter();
        }

        @Override
        public void setLogWriter(PrintWriter out) throws SQLException {
            base.setLogWriter(out);
        }

        @Override
        public void setLoginTimeout(int seconds) throws SQLException {
            base.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() throws SQLException {
            return base.getLoginTimeout();
        }

        @Override
        public java.util.logging.Logger getParentLogger() throws SQLFeatureNotSupportedException {
            return base.getParentLogger();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            if (iface.isInstance(this)) {
                return iface.cast(this);
            }
            return base.unwrap(iface);
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) throws SQLException {
            return iface.isInstance(this) || base.isWrapperFor(iface);
        }
    }
}
