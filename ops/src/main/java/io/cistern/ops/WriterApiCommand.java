package io.cistern.ops;

import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriterSettings;
import io.cistern.writer.http.WriterHttpConfiguration;
import java.util.Map;
import java.util.concurrent.Callable;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
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

    @Override
    public Integer call() {
        WriterSettings settings = WriterSettings.fromEnvironment(connection.environment());
        Startup.redis(settings.redis(), connection.environment());
        RecordWriter writer = RecordWriter.connect(settings);
        ServiceLauncher.start("cistern-writer-api", port, Map.of("recordWriter", writer), WriterApiService.class);
        return 0;
    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    @Import(WriterHttpConfiguration.class)
    static class WriterApiService {}
}
