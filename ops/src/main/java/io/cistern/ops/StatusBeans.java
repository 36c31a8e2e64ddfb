package io.cistern.ops;

import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.RedisSettings;
import io.cistern.ops.status.BufferGauges;
import io.cistern.ops.status.LagReadiness;
import io.cistern.ops.status.PartitionGauges;
import io.cistern.ops.status.PipelineStatus;
import io.cistern.ops.status.StatusMonitor;
import io.cistern.ops.status.StatusSettings;
import io.cistern.schema.keys.KeyLayout;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The pipeline-status beans of the sync worker and of {@code up}: the monitor that reads the status every refresh
 * interval (bean {@code pipelineStatus}, a {@link StatusMonitor}, for the dashboard too), the per-partition gauges
 * ({@code partitionGauges}), the lag and stall readiness check ({@code lagReady}) and the outage the buffer absorbs
 * ({@code bufferGauges}, on a Redis connection of its own). Its client and its one database connection
 * (dead letters are counted in {@code cistern_dead_letter}) connect on first use, so the beans can be made before
 * Redis and PostgreSQL answer.
 */
final class StatusBeans {
    private StatusBeans() {}

    static Map<String, Object> of(
            RedisSettings redis, DatabaseSettings database, KeyLayout layout, StatusSettings settings) {
        StatusMonitor monitor = new StatusMonitor(
                PipelineStatus.connect(redis, layout, database), settings.refreshInterval(), settings.readyMaxStall());
        Map<String, Object> beans = new LinkedHashMap<>();
        beans.put("pipelineStatus", monitor);
        beans.put("partitionGauges", new PartitionGauges(monitor));
        beans.put("lagReady", new LagReadiness(monitor, settings.readyMaxLag()));
        beans.put("bufferGauges", new BufferGauges(monitor, PipelineStatus.connect(redis, layout)));
        monitor.start();
        return beans;
    }
}
