package io.cistern.connections;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.slf4j.LoggerFactory;

/** {@code SQL_ECHO=true} logs each statement a pool sends, at INFO, with no value in any line; off, nothing. */
class StatementEchoIT {
    private static final String VALUE = "Hunter2-Value";

    private TestDatabase db;
    private ListAppender<ILoggingEvent> logs;
    private Logger echo;

    @BeforeEach
    void setUp() {
        db = TestDatabase.create("echo");
        db.execute("CREATE TABLE t (id int PRIMARY KEY, v text)");
        logs = new ListAppender<>();
        logs.start();
        echo = (Logger) LoggerFactory.getLogger(StatementEcho.class);
        echo.setLevel(Level.INFO);
        echo.addAppender(logs);
    }

    @AfterEach
    void tearDown() {
        echo.detachAppender(logs);
        db.close();
    }

    @Test
    void sqlEchoOn_logsEachStatement_valuesRedacted_andTheDriverIsStillReachable() throws SQLException {
        try (HikariDataSource pool = DataSources.create(settings(true), "echo-it");
                Connection c = pool.getConnection()) {
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO t (id, v) VALUES (?, ?)")) {
                insert.setInt(1, 1);
                insert.setString(2, VALUE);
                insert.executeUpdate();
                insert.setInt(1, 2);
                insert.addBatch();
                insert.executeBatch();
            }
            try (Statement s = c.createStatement()) {
                s.execute("UPDATE t SET v = '" + VALUE + "' WHERE id = 1");
                try (ResultSet rs = s.executeQuery("SELECT v FROM t WHERE id = 1")) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo(VALUE);
                }
            }
            // Code that needs pgjdbc's own API (COPY) still gets it through the pool's and the echo's proxies.
            assertThat(c.unwrap(PGConnection.class).getCopyAPI()).isNotNull();
        }

        List<String> lines =
                logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(lines)
                .contains(
                        "[echo-it] INSERT INTO t (id, v) VALUES (?, ?)",
                        "[echo-it] INSERT INTO t (id, v) VALUES (?, ?) (batch)",
                        "[echo-it] UPDATE t SET v = '****' WHERE id = 1",
                        "[echo-it] SELECT v FROM t WHERE id = 1");
        assertThat(logs.list).allSatisfy(e -> assertThat(e.getLevel()).isEqualTo(Level.INFO));
        assertThat(String.join("\n", lines)).doesNotContain(VALUE);
    }

    @Test
    void sqlEchoOff_logsNothing() throws SQLException {
        try (HikariDataSource pool = DataSources.create(settings(false), "quiet-it");
                Connection c = pool.getConnection();
                Statement s = c.createStatement()) {
            s.execute("SELECT 1");
        }
        assertThat(logs.list).isEmpty();
    }

    private DatabaseSettings settings(boolean echoOn) {
        Map<String, String> env = new HashMap<>();
        env.put("DATABASE_URL", db.jdbcUrl());
        env.put("SQL_ECHO", Boolean.toString(echoOn));
        return DatabaseSettings.fromEnvironment(env);
    }
}
