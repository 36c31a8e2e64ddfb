package io.cistern.ops;

import io.cistern.ops.dashboard.DashboardConfiguration;
import io.cistern.ops.dashboard.DashboardSource;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriterSettings;
import io.cistern.writer.http.WriterHttpConfiguration;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ops/cistern writer-api}: the HTTP ingest service on its own. */
@Command(
        name = "writer-api",
        mixinStandardHelpOptions = true,
        description = {
            "Serve the HTTP ingest API: PUT/PATCH/DELETE /v1/tables/{table}/records/{id} and"
                    + " POST /v1/tables/{table}/records:batch, with /actuator/health and /actuator/prometheus.",
            "Set CISTERN_WRITER_TOKEN (or CISTERN_WRITER_TOKEN_FILE) to require a bearer token."
        })
final class WriterApiCommand implements Callable<Integer> {
    @Mixin
    ConnectionOptions connection;

    @Option(names = "--port", paramLabel = "PORT", description = "HTTP port (default: ${DEFAULT-VALUE}).")
    int port = 8081;

    /** The running service, once {@link #call()} returned. */
    private ConfigurableApplicationContext context;

    @Override
    public Integer call() {
        WriterSettings settings = WriterSettings.fromEnvironment(connection.environment());
        // Serve health first: alive, and refusing writes as retryable, while Redis is awaited.
        DeferredRecordWriter writer =
                new DeferredRecordWriter("Redis at " + settings.redis().redactedUrl());
        Map<String, Object> beans = new LinkedHashMap<>();
        beans.put("writerSettings", settings);
        beans.put("recordWriter", writer);
        beans.put("cisternDashboard", new DashboardSource(settings.redis(), settings.layout()));
        CompositeMeterRegistry meters = new CompositeMeterRegistry();
        context = ServiceLauncher.start("cistern-writer-api", port, beans, meters, WriterApiService.class);
        Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "cistern-writer-api-shutdown"));
        Startup.logConfiguration(settings.layout().prefix(), settings.redis(), null, connection.environment());
        Startup.redis(settings.redis(), connection.environment());
        Startup.warnIfBufferUnbounded(settings.redis(), settings.layout());
        writer.connected(RecordWriter.connect(settings, meters));
        return 0;
    }

    /** Stops the service and closes its writer. Idempotent. */
    synchronized void stop() {
        if (context != null) {
            context.close();
            context = null;
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    @Import({WriterHttpConfiguration.class, DashboardConfiguration.class})
    static class WriterApiService {}
}
