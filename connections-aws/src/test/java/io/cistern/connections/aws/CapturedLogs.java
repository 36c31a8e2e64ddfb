package io.cistern.connections.aws;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Every log line written while open (formatted, with any exception's messages), to check that no secret is in one. */
final class CapturedLogs implements AutoCloseable {
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    CapturedLogs() {
        appender.start();
        root.addAppender(appender);
    }

    /** Each line with the messages of its exception chain. */
    List<String> lines() {
        return List.copyOf(appender.list).stream()
                .map(event -> {
                    StringBuilder line = new StringBuilder(event.getFormattedMessage());
                    for (var t = event.getThrowableProxy(); t != null; t = t.getCause()) {
                        line.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
                    }
                    return line.toString();
                })
                .toList();
    }

    @Override
    public void close() {
        root.detachAppender(appender);
    }
}
