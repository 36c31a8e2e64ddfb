/**
 * The pipeline's status per partition, for operators: backlog and oldest unapplied age computed from stream entry
 * IDs and the applied watermark (never from {@code XINFO}'s best-effort lag), pending entries, lease owner, dead
 * letters, pause. {@link io.cistern.ops.status.PipelineStatus} reads one immutable {@link
 * io.cistern.ops.status.StatusSnapshot} from Redis; {@link io.cistern.ops.status.StatusJson} renders it (the JSON of
 * {@code ops/cistern lag --json}); {@link io.cistern.ops.status.StatusMonitor} refreshes it on a schedule for the
 * services, whose gauges ({@link io.cistern.ops.status.PartitionGauges}) and readiness ({@link
 * io.cistern.ops.status.LagReadiness}) read the latest snapshot and never Redis.
 *
 * <p>Pure cores: {@code LagCalculator} (a partition's backlog and oldest age from one atomic reading of its stream)
 * and {@code DrainProgress} (whether everything written before a point is applied). Driver: {@code PipelineStatus}
 * (one Lua script per partition, so each partition's numbers come from one instant).
 */
package io.cistern.ops.status;
