package io.cistern.ops.dashboard;

import io.cistern.schema.codec.ExactJson;
import io.lettuce.core.RedisException;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.Resource;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The dashboard page and the JSON it polls. Thread-safe. */
@RestController
final class DashboardController {
    private static final Logger LOG = LoggerFactory.getLogger(DashboardController.class);

    private final DashboardSource source;
    private final DashboardHistory history;
    private final Resource page = new ClassPathResource("io/cistern/ops/dashboard/static/index.html");

    DashboardController(DashboardSource source, DashboardHistory history) {
        this.source = source;
        this.history = history;
    }

    @GetMapping(value = "/", produces = MediaType.TEXT_HTML_VALUE)
    public ResponseEntity<Resource> page() {
        return ResponseEntity.ok().cacheControl(CacheControl.noCache()).body(page);
    }

    /**
     * The same snapshot as {@code ops/cistern lag --json}, with the stalled partitions of this service's monitor
     * ({@code stalls}); 503 with the reason while Redis cannot be read.
     */
    @GetMapping(value = "/cistern/status", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<String> status() {
        return read("status", () -> source.statusJson(history.stalls(), history.maxStall(), history.writeRate()));
    }

    /** Entries added per partition and the latest dead letters; 503 with the reason while Redis cannot be read. */
    @GetMapping(value = "/cistern/activity", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<String> activity() {
        return read("activity", source::activityJson);
    }

    /**
     * What the charts draw over the last minutes, kept by this service ({@link DashboardHistory#json}); with {@code
     * after} (epoch ms) only the newer samples. Read from memory, never from Redis: always 200, with fewer samples
     * while Redis cannot be read.
     */
    @GetMapping(value = "/cistern/history", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<String> history(@RequestParam(name = "after", required = false) Long after) {
        return ResponseEntity.ok()
                .cacheControl(CacheControl.noStore())
                .body(history.json(Optional.ofNullable(after).map(Instant::ofEpochMilli)));
    }

    private ResponseEntity<String> read(String what, java.util.function.Supplier<String> reader) {
        try {
            return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(reader.get());
        } catch (RedisException | IllegalStateException e) {
            // The exception's own text is not shown: it could name more than the redacted URL does.
            String message = "cannot read the pipeline " + what + " from " + source.describe() + ": "
                    + (e instanceof IllegalStateException
                            ? e.getMessage()
                            : e.getClass().getSimpleName());
            LOG.debug("dashboard: {}", message, e);
            return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                    .cacheControl(CacheControl.noStore())
                    .body(ExactJson.mapper()
                            .createObjectNode()
                            .put("error", message)
                            .toString());
        }
    }
}
