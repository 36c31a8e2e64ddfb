package io.cistern.connections;

import java.io.PrintWriter;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import javax.sql.DataSource;

/**
 * The part of {@link DataSource} that a data source opening its own pgjdbc connections for a pool has no use for: pgjdbc
 * logs through {@code java.util.logging}, the URL's {@code loginTimeout} (from the connect timeout) bounds a login,
 * and nothing is wrapped. Subclasses implement the two {@code getConnection} methods.
 */
abstract class OpeningDataSource implements DataSource {
    private int loginTimeoutSeconds;

    /** What this data source is, for the messages of the methods it does not support. */
    abstract String name();

    @Override
    public final PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public final void setLogWriter(PrintWriter out) {
        // pgjdbc logs through java.util.logging; nothing to set.
    }

    @Override
    public final void setLoginTimeout(int seconds) {
        // Kept for getLoginTimeout only: the URL's loginTimeout (from the connect timeout) is what bounds a login.
        loginTimeoutSeconds = seconds;
    }

    @Override
    public final int getLoginTimeout() {
        return loginTimeoutSeconds;
    }

    @Override
    public final java.util.logging.Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException(name() + " has no parent logger");
    }

    @Override
    public final <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        throw new SQLException(name() + " is not a " + iface.getName());
    }

    @Override
    public final boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this);
    }
}
